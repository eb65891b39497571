// How every panel shows whitespace inside a token (as VS Code's own whitespace rendering does: · for a space).

/** `text` with whitespace made visible: · space, → tab, ↵ line feed, ␍ carriage return. */
export function visibleWhitespace(text: string): string {
  return text.replace(/ /g, '·').replace(/\t/g, '→').replace(/\r/g, '␍').replace(/\n/g, '↵');
}
