// Runs a benchmark script (dist-test/support/<name>.js) inside the real extension host (code-server,
// see scripts/vscode-launcher.sh) and returns the JSON it writes to LLM_LENS_RESULTS, or undefined when
// the run failed (said on stdout). Shared by scripts/bench.mjs and scripts/bench/*.mjs.
import { runTests } from '@vscode/test-electron';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** VS Code version the benchmarks run on (LLM_LENS_VSCODE, default 1.139.1). */
export const benchVersion = process.env.LLM_LENS_VSCODE ?? '1.139.1';

export async function runInExtensionHost(script) {
  mkdirSync(join(root, 'test-results'), { recursive: true });
  const results = join(root, 'test-results', `bench-${script}-${process.pid}.json`);
  rmSync(results, { force: true });
  try {
    await runTests({
      vscodeExecutablePath: join(root, 'scripts', 'vscode-launcher.sh'),
      extensionDevelopmentPath: root,
      extensionTestsPath: join(root, 'dist-test', 'support', `${script}.js`),
      launchArgs: [join(root, 'test', 'fixtures', 'workspace')],
      extensionTestsEnv: { LLM_LENS_VSCODE: benchVersion, LLM_LENS_RESULTS: results },
    });
  } catch (error) {
    console.log(`${script}: the run failed (${error})`);
  }
  if (!existsSync(results)) return undefined;
  const parsed = JSON.parse(readFileSync(results, 'utf8'));
  rmSync(results, { force: true });
  return parsed;
}
