// The Mocha runner the extension host loads (extensionTestsPath): runs every compiled
// dist-test/integration/*.test.js (or those named in LLM_LENS_TEST_FILES, comma-separated) and
// writes the counts to LLM_LENS_RESULTS for the one summary line of `npm test`.
import Mocha from 'mocha';
import { appendFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Called by the extension host: resolves when every test passed, rejects otherwise. */
export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false });
  const only = (process.env.LLM_LENS_TEST_FILES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js'))
    .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
    .sort();
  for (const f of files) mocha.addFile(join(__dirname, f));
  // The extension host's console does not reach the terminal on every VS Code version, so the
  // runner also writes its report to a file next to the results (printed by run-integration.mjs).
  const logFile = process.env.LLM_LENS_RESULTS ? `${process.env.LLM_LENS_RESULTS}.log` : undefined;
  const log = (line: string) => {
    console.log(line);
    if (logFile) appendFileSync(logFile, `${line}\n`);
  };
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const stats = runner.stats ?? { passes: 0, failures, pending: 0 };
      const counts = { passed: stats.passes, failed: stats.failures, skipped: stats.pending };
      log(`[integration] ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
      if (process.env.LLM_LENS_RESULTS) writeFileSync(process.env.LLM_LENS_RESULTS, JSON.stringify(counts));
      if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
      else resolve();
    });
    runner.on('pass', (t) => log(`  ✓ ${t.fullTitle()} (${t.duration ?? 0} ms)`));
    runner.on('pending', (t) => log(`  - ${t.fullTitle()} (skipped)`));
    runner.on('fail', (t, error: Error) => log(`  ✗ ${t.fullTitle()}\n    ${String(error?.stack ?? error).split('\n').join('\n    ')}`));
  });
}
