// The "VS Code executable" that @vscode/test-electron's runTests starts (vscodeExecutablePath):
// it starts code-server (a real VS Code workbench and extension host), opens the workbench in
// headless Chromium with the development and tests payload, relays the test run's console and
// exits with the exit code the workbench reports. VS Code version: LLM_LENS_VSCODE.
import { launchBrowser, newPage } from './browser';
import { selectedVersion, startCodeServer, workbenchUrl } from './codeServer';

function argValue(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

async function main(): Promise<number> {
  const extensionDevelopmentPath = argValue('extensionDevelopmentPath');
  const extensionTestsPath = argValue('extensionTestsPath');
  if (!extensionDevelopmentPath || !extensionTestsPath) {
    console.error('usage: launcher --extensionDevelopmentPath=DIR --extensionTestsPath=FILE [workspace]');
    return 2;
  }
  // A positional argument (not a flag) is the workspace folder, as with `code <folder>`.
  const workspace = process.argv.slice(2).find((a) => !a.startsWith('--'));
  const version = selectedVersion();
  const locale = process.env.LLM_LENS_LOCALE;
  const server = await startCodeServer({ version, workspace, locale });
  const browser = await launchBrowser(server.home, locale);
  const timeoutMs = Number(process.env.LLM_LENS_TEST_TIMEOUT_MS ?? 600_000);
  try {
    const page = await newPage(browser, locale);
    const exitCode = new Promise<number>((resolve) => {
      void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
      setTimeout(() => {
        console.error(`[launcher] no result after ${timeoutMs / 1000} s`);
        resolve(1);
      }, timeoutMs).unref();
    });
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
      const text = args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
      (type === 'error' ? console.error : console.log)(text);
    });
    // A loaded machine can take longer than Playwright's default 30 s to serve the workbench page.
    await page.goto(workbenchUrl(server, { extensionDevelopmentPath, extensionTestsPath }), { timeout: 180_000 });
    const code = await exitCode;
    if (code !== 0) console.error(`[launcher] VS Code ${version} reported exit code ${code}\n--- code-server log (tail) ---\n${server.log().slice(-4000)}`);
    return code;
  } finally {
    await browser.close().catch(() => undefined);
    await server.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('[launcher]', error);
    process.exit(1);
  },
);
