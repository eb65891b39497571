// Runs every UI test file in one process, sharing workbenches between them (see openWorkbench):
// `npm test` runs this instead of starting a server and a browser per file.
//   LLM_LENS_VSCODE=1.139.1 node --test dist-test/ui/suite.js
import { after, before, describe } from 'node:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { openWorkbench, type Workbench } from './workbench';

process.env.LLM_LENS_UI_SHARED = '1';
const only = (process.env.LLM_LENS_TEST_FILES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const files = readdirSync(__dirname)
  .filter((f) => f.endsWith('.test.js'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  // `LLM_LENS_SKIP=vsix npm test` leaves out the packaged-extension test (no .vsix built).
  .filter((f) => !(process.env.LLM_LENS_SKIP ?? '').split(/\s+/).includes('vsix') || !f.startsWith('installedVsix'))
  .sort();

// The suite holds the default workbench open from the first file to the last.
let held: Workbench | undefined;
before(async () => {
  held = await openWorkbench();
});
after(async () => {
  await held?.close();
});

for (const file of files) {
  describe(file.replace(/\.test\.js$/, ''), () => {
    require(join(__dirname, file));
  });
}
