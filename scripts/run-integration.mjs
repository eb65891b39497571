// Runs the integration tests inside the real extension host of each VS Code version, through
// @vscode/test-electron's runTests with our code-server launcher (scripts/vscode-launcher.sh).
//   node scripts/run-integration.mjs [1.100.3|1.139.1 ...]      (default: both)
// LLM_LENS_TEST_FILES=welcome,tokenize runs only the files whose names start with those prefixes.
import { runTests } from '@vscode/test-electron';
import { copyFileSync, mkdirSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const versions = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['1.100.3', '1.139.1'];
const resultsDir = join(root, 'test-results');
mkdirSync(resultsDir, { recursive: true });
const workspace = join(root, 'test', 'fixtures', 'workspace');

let failedRuns = 0;
for (const version of versions) {
  // Per-process result files, so two runs at once (several developers on one machine) cannot mix.
  const results = join(resultsDir, `integration-${version}.${process.pid}.json`);
  rmSync(join(resultsDir, `integration-${version}.json`), { force: true });
  console.log(`\n=== integration tests on VS Code ${version} ===`);
  try {
    await runTests({
      vscodeExecutablePath: join(root, 'scripts', 'vscode-launcher.sh'),
      extensionDevelopmentPath: root,
      extensionTestsPath: join(root, 'dist-test', 'integration', 'index.js'),
      launchArgs: [workspace],
      // LLM_LENS_TEST_HOOKS lets the tests end the model process on purpose (src/compute/testHooks.ts).
      extensionTestsEnv: { LLM_LENS_VSCODE: version, LLM_LENS_RESULTS: results, LLM_LENS_TEST_HOOKS: '1' },
    });
  } catch (error) {
    failedRuns++;
    console.error(`integration run on VS Code ${version} failed: ${error}`);
  }
  if (existsSync(`${results}.log`)) {
    process.stdout.write(readFileSync(`${results}.log`, 'utf8'));
    rmSync(`${results}.log`, { force: true });
  }
  if (!existsSync(results)) {
    // The run never reached the end: count it as one failure so the summary cannot look green.
    console.error(`no results from VS Code ${version}`);
  } else {
    console.log(`[integration ${version}] ${readFileSync(results, 'utf8')}`);
    copyFileSync(results, join(resultsDir, `integration-${version}.json`));
    rmSync(results, { force: true });
  }
}
process.exit(failedRuns > 0 ? 1 : 0);
