import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DocumentRegions, isProseLanguage, languageSyntax, type TextRegion } from '../../src/core/glossary/textRegions';

/** The region of the first occurrence of `needle` in `source` (a whole file), for `languageId`. */
function regionOf(languageId: string, source: string, needle: string): TextRegion {
  const syntax = languageSyntax(languageId);
  assert.ok(syntax, languageId);
  const lines = source.split('\n');
  const line = lines.findIndex((l) => l.includes(needle));
  assert.ok(line >= 0, needle);
  return new DocumentRegions(syntax, (i) => lines[i]).regionAt(line, lines[line].indexOf(needle));
}

test('TypeScript: line comments, block comments over several lines, strings and template literals', () => {
  const ts = [
    'const heads = 8; // GQA shares KV heads',
    '/**',
    ' * The KV cache grows with seqLen.',
    ' */ const label = "softmax weights";',
    'const t = `multi',
    'line RoPE template`; const rope = 1;',
    "const s = 'it\\'s MoE'; let after = 2;",
  ].join('\n');
  assert.equal(regionOf('typescript', ts, 'const heads'), 'code');
  assert.equal(regionOf('typescript', ts, 'GQA'), 'comment');
  assert.equal(regionOf('typescript', ts, 'KV cache'), 'comment');
  assert.equal(regionOf('typescript', ts, ' */'), 'comment');
  assert.equal(regionOf('typescript', ts, 'const label'), 'code');
  assert.equal(regionOf('typescript', ts, 'softmax'), 'string');
  assert.equal(regionOf('typescript', ts, 'RoPE template'), 'string');
  assert.equal(regionOf('typescript', ts, 'const rope'), 'code');
  assert.equal(regionOf('typescript', ts, 'MoE'), 'string', 'an escaped quote does not end the string');
  assert.equal(regionOf('typescript', ts, 'let after'), 'code');
});

test('Python: docstrings over several lines, # comments, quotes inside comments and strings', () => {
  const py = [
    'def rotate(q):',
    '    """Apply RoPE to the queries.',
    '',
    '    Each pair turns by m·θ (see "RoFormer").',
    '    """',
    "    angles = theta ** -2  # RoPE frequencies, don't # nest",
    "    name = 'softmax # not a comment'",
    '    return q',
  ].join('\n');
  assert.equal(regionOf('python', py, 'def rotate'), 'code');
  assert.equal(regionOf('python', py, 'Apply RoPE'), 'string');
  assert.equal(regionOf('python', py, 'Each pair'), 'string');
  assert.equal(regionOf('python', py, 'angles'), 'code');
  assert.equal(regionOf('python', py, 'RoPE frequencies'), 'comment');
  assert.equal(regionOf('python', py, 'softmax #'), 'string');
  assert.equal(regionOf('python', py, 'return q'), 'code');
});

test('a single-quoted string left open does not swallow the next line', () => {
  const src = ['x = "unterminated GQA', 'y = 1  # MQA'].join('\n');
  assert.equal(regionOf('python', src, 'GQA'), 'string');
  assert.equal(regionOf('python', src, 'y = 1'), 'code');
  assert.equal(regionOf('python', src, 'MQA'), 'comment');
});

test('Rust lifetimes are not strings; SQL, Lua and shell comments', () => {
  assert.equal(regionOf('rust', "fn f<'a>(x: &'a str) {} // GQA", 'GQA'), 'comment');
  assert.equal(regionOf('sql', "SELECT 'a' -- softmax", 'softmax'), 'comment');
  assert.equal(regionOf('lua', 'x = 1 --[[ RoPE\nstill MoE ]] y = 2', 'still'), 'comment');
  assert.equal(regionOf('lua', 'x = 1 --[[ RoPE\nstill MoE ]] y = 2', 'y = 2'), 'code');
  assert.equal(regionOf('shellscript', 'echo "$X" # BPE', 'BPE'), 'comment');
});

test('prose and unknown languages have no code regions', () => {
  for (const id of ['markdown', 'plaintext', 'latex', 'some-unknown-language']) assert.ok(isProseLanguage(id), id);
  for (const id of ['typescript', 'python', 'rust', 'go', 'java', 'json']) assert.ok(!isProseLanguage(id), id);
});

test('line-start states are computed once per document and reused', () => {
  // Every tenth line opens a block comment that closes three lines later.
  const lines = Array.from({ length: 5000 }, (_, i) => (i % 10 === 0 ? '/* block' : i % 10 === 3 ? 'end */ code' : `line ${i}`));
  const syntax = languageSyntax('typescript');
  assert.ok(syntax);
  let reads = 0;
  const regions = new DocumentRegions(syntax, (i) => {
    reads++;
    return lines[i];
  });
  assert.equal(regions.regionAt(4998, 0), 'code');
  const first = reads;
  assert.ok(first <= 5000, `${first} reads`);
  assert.equal(regions.regionAt(4991, 0), 'comment');
  assert.equal(regions.regionAt(4993, 0), 'comment');
  assert.equal(regions.regionAt(4993, 'end */ '.length), 'code');
  assert.equal(reads - first, 3, 'later hovers read only their own line');
});

test('after an edit, lines from the edited one on are scanned again', () => {
  const lines = ['let a = 1; // GQA', 'let b = 2;', 'let c = 3;', 'let d = 4;'];
  const syntax = languageSyntax('typescript');
  assert.ok(syntax);
  const regions = new DocumentRegions(syntax, (i) => lines[i]);
  assert.equal(regions.regionAt(3, 0), 'code');
  lines[1] = 'let b = 2; /* opens a comment';
  regions.invalidateFrom(1);
  assert.equal(regions.regionAt(1, 0), 'code');
  assert.equal(regions.regionAt(2, 0), 'comment');
  assert.equal(regions.regionAt(3, 0), 'comment');
  lines[2] = 'closes it */ let c = 3;';
  regions.invalidateFrom(2);
  assert.equal(regions.regionAt(2, 0), 'comment');
  assert.equal(regions.regionAt(3, 0), 'code');
});
