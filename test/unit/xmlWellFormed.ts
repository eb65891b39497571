// A small strict XML 1.0 well-formedness parser for the export tests (no dependency): elements, quoted
// attributes without duplicates, the five predefined and numeric character references only, comments, an
// optional leading <!DOCTYPE …>, one root element. Throws on anything else; returns the element tree.

/** A parsed element with its attributes (references decoded) and children. */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: (XmlElement | string)[];
}

const NAME = /^[A-Za-z_:][\w:.-]*/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string, where: number): string {
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(raw)) throw new Error(`character not allowed in XML near ${where}`);
  return raw.replace(/&([^;]*);?/g, (m, body: string) => {
    if (!m.endsWith(';')) throw new Error(`bare & near ${where}`);
    if (body in ENTITIES) return ENTITIES[body];
    const num = /^#(\d+)$/.exec(body) ?? /^#x([0-9a-fA-F]+)$/.exec(body);
    if (num) return String.fromCodePoint(parseInt(num[1], body[1] === 'x' ? 16 : 10));
    throw new Error(`unknown entity &${body}; near ${where}`);
  });
}

/** Parses `text` as a well-formed XML document (an HTML5 doctype allowed); throws with the position of the first error. */
export function parseXml(text: string): XmlElement {
  let i = 0;
  const skipSpace = (): void => { while (i < text.length && /\s/.test(text[i])) i++; };
  const skipMisc = (): void => {
    for (;;) {
      skipSpace();
      if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i + 4);
        if (end < 0) throw new Error(`unclosed comment at ${i}`);
        i = end + 3;
      } else return;
    }
  };
  skipMisc();
  if (text.startsWith('<?xml', i)) { const end = text.indexOf('?>', i); if (end < 0) throw new Error('unclosed XML declaration'); i = end + 2; }
  skipMisc();
  if (/^<!DOCTYPE/i.test(text.slice(i, i + 9))) { const end = text.indexOf('>', i); if (end < 0) throw new Error('unclosed doctype'); i = end + 1; }
  skipMisc();

  function element(): XmlElement {
    if (text[i] !== '<') throw new Error(`expected an element at ${i}`);
    i++;
    const name = NAME.exec(text.slice(i))?.[0];
    if (!name) throw new Error(`bad element name at ${i}`);
    i += name.length;
    const attrs: Record<string, string> = {};
    for (;;) {
      const before = i;
      skipSpace();
      if (text.startsWith('/>', i)) { i += 2; return { name, attrs, children: [] }; }
      if (text[i] === '>') { i++; break; }
      if (i === before) throw new Error(`expected whitespace before an attribute at ${i}`);
      const attr = NAME.exec(text.slice(i))?.[0];
      if (!attr) throw new Error(`bad attribute name at ${i}`);
      i += attr.length;
      skipSpace();
      if (text[i] !== '=') throw new Error(`expected = at ${i}`);
      i++;
      skipSpace();
      const quote = text[i];
      if (quote !== '"' && quote !== "'") throw new Error(`unquoted attribute value at ${i}`);
      const end = text.indexOf(quote, i + 1);
      if (end < 0) throw new Error(`unclosed attribute value at ${i}`);
      const raw = text.slice(i + 1, end);
      if (raw.includes('<')) throw new Error(`< in an attribute value at ${i}`);
      if (attr in attrs) throw new Error(`duplicate attribute ${attr} at ${i}`);
      attrs[attr] = decode(raw, i);
      i = end + 1;
    }
    const children: (XmlElement | string)[] = [];
    for (;;) {
      const lt = text.indexOf('<', i);
      if (lt < 0) throw new Error(`unclosed <${name}>`);
      if (lt > i) {
        const raw = text.slice(i, lt);
        if (raw.includes(']]>')) throw new Error(`]]> in text at ${i}`);
        children.push(decode(raw, i));
      }
      i = lt;
      if (text.startsWith('</', i)) {
        i += 2;
        const close = NAME.exec(text.slice(i))?.[0];
        if (close !== name) throw new Error(`</${close ?? ''}> closes <${name}> at ${i}`);
        i += close.length;
        skipSpace();
        if (text[i] !== '>') throw new Error(`bad end tag at ${i}`);
        i++;
        return { name, attrs, children };
      }
      if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i + 4);
        if (end < 0) throw new Error(`unclosed comment at ${i}`);
        i = end + 3;
        continue;
      }
      if (text.startsWith('<![CDATA[', i) || text.startsWith('<?', i) || text.startsWith('<!', i)) throw new Error(`markup declaration not expected at ${i}`);
      children.push(element());
    }
  }

  const root = element();
  skipMisc();
  if (i !== text.length) throw new Error(`content after the root element at ${i}`);
  return root;
}

/** Every element named `name` in the tree, in document order. */
export function elementsNamed(root: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement): void => {
    if (e.name === name) out.push(e);
    for (const c of e.children) if (typeof c !== 'string') walk(c);
  };
  walk(root);
  return out;
}

/** The concatenated text content of an element. */
export function textOf(e: XmlElement): string {
  return e.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
}
