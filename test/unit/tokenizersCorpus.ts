// The shared text corpus for tokenizer tests, and an independent reference for UTF-16 ranges.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/core/paths';

const korean = '토큰화는 언어 모델이 텍스트를 읽는 첫 단계입니다. 한국어 문장을 나눠 봅시다.';

/** Named samples covering code, prose, scripts, emoji, marks, line endings and broken UTF-16. */
export const CORPUS: readonly { name: string; text: string }[] = [
  { name: 'empty', text: '' },
  {
    name: 'code',
    text: 'export function add(a: number, b: number): number {\n\treturn a + b; // sum\n}\n\nconst xs = [1, 2, 3].map((x) => x ** 2);\n',
  },
  { name: 'english', text: "The quick brown fox doesn't jump; it's tokenized into pieces that we'll inspect." },
  { name: 'korean NFC', text: korean.normalize('NFC') },
  { name: 'korean NFD', text: korean.normalize('NFD') },
  { name: 'cjk', text: '大型语言模型把文本切成词元。日本語のテキストも同じです。カタカナとひらがな。' },
  { name: 'emoji ZWJ and flags', text: 'family 👨‍👩‍👧‍👦, rainbow flag 🏳️‍🌈, flags 🇰🇷🇯🇵🇺🇸, skin 👋🏽, keycap 1️⃣' },
  { name: 'combining marks', text: 'e\u0301 a\u0308 n\u0303 Ti\u1EBFng Vi\u1EC7t; Z\u0351\u036B\u0343\u036A\u0302 ; \u0915\u093F\u0924\u093E\u092C' },
  { name: 'CRLF and tabs', text: 'line one\r\nline two\r\n\r\n\tindented\t\ttabs  \t \r\n   trailing   ' },
  { name: 'lone surrogates', text: 'a\uD800b \uDC00 end\uD83D x\uDE00\uD83D \uD83D\uDE00 ok\uDBFF' },
  { name: 'special-token strings', text: '<|endoftext|> <|begin_of_text|><|im_start|>user <｜begin▁of▁sentence｜> <|fim_prefix|>' },
  { name: 'numbers', text: 'pi = 3.14159265358979, n = 1234567890, 0xFF, 1e-9, ２０２４年' },
  { name: 'compatibility characters', text: 'ﬁle Å Ω ① ² ｈｅｌｌｏ' },
];

/** About `chars` of real source code (TypeScript's own compiler), for realistic token mixes. */
export function realSource(chars: number, offset = 200_000): string {
  const file = join(packageRoot(), 'node_modules', 'typescript', 'lib', 'typescript.js');
  return readFileSync(file, 'utf8').slice(offset, offset + chars);
}

/**
 * Reference UTF-16 range for a byte range, computed independently of the core: encode each code point
 * on its own (lone surrogates become U+FFFD, 3 bytes) and take every character touching the bytes.
 */
export function referenceRanges(text: string): (byteStart: number, byteEnd: number) => [number, number] {
  const enc = new TextEncoder();
  const chars: { u0: number; u1: number; b0: number; b1: number }[] = [];
  let u = 0;
  let b = 0;
  for (const ch of text) {
    const n = enc.encode(ch).length;
    chars.push({ u0: u, u1: u + ch.length, b0: b, b1: b + n });
    u += ch.length;
    b += n;
  }
  // charAtByte[b]: index in `chars` of the character holding byte b.
  const charAtByte: number[] = [];
  chars.forEach((c, i) => {
    for (let k = c.b0; k < c.b1; k++) charAtByte.push(i);
  });
  return (byteStart, byteEnd) => {
    if (byteEnd <= byteStart) {
      // An empty range sits at a character boundary, or inside the character that contains it.
      const c = chars[charAtByte[byteStart] ?? -1];
      if (!c) return [text.length, text.length];
      return c.b0 === byteStart ? [c.u0, c.u0] : [c.u0, c.u1];
    }
    return [chars[charAtByte[byteStart]].u0, chars[charAtByte[byteEnd - 1]].u1];
  };
}
