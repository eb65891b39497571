// Shared helpers of the UI tests: a real workbench (code-server) in headless Chromium.
import { test } from 'node:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { launchBrowser, newPage } from '../support/browser';
import { extensionRoot, quietSettings, selectedVersion, startCodeServer, workbenchUrl, type CodeServer, type CodeServerOptions } from '../support/codeServer';

/** A workbench open in Chromium. */
export interface Workbench {
  server: CodeServer;
  browser: Browser;
  page: Page;
  /** Console messages of the page and its frames (webview CSP reports land here). */
  consoleMessages: string[];
  close(): Promise<void>;
}

/** Options of `openWorkbench`. */
export interface WorkbenchOptions extends Partial<CodeServerOptions> {
  /** Load the development build of LLM Lens (default true); false for an installed .vsix. */
  development?: boolean;
  /** Files to create in the workspace before the workbench opens (path -> content). */
  files?: Record<string, string>;
  /** A workbench of its own even under the shared suite (for tests that drive the explorer's context menus). */
  isolated?: boolean;
}

/** Starts code-server on the selected VS Code version and opens its workbench with LLM Lens loaded. */
async function startWorkbench(options: WorkbenchOptions): Promise<Workbench> {
  const server = await startCodeServer({ version: options.version ?? selectedVersion(), ...options });
  writeFiles(server, options.files);
  const browser = await launchBrowser(server.home, options.locale);
  const page = await newPage(browser, options.locale);
  const consoleMessages: string[] = [];
  page.on('console', (m) => consoleMessages.push(`${m.type()}: ${m.text()}`));
  const development = options.development ?? true;
  // A loaded machine can take longer than Playwright's default 30 s to serve the workbench page.
  await page.goto(workbenchUrl(server, development ? { extensionDevelopmentPath: extensionRoot } : undefined), { timeout: 120_000 });
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  // The explorer shows the workspace once the workbench has connected to the server.
  await page.locator('.explorer-folders-view, .monaco-workbench .part.sidebar').first().waitFor({ timeout: 60_000 });
  return {
    server,
    browser,
    page,
    consoleMessages,
    close: async () => {
      await browser.close().catch(() => undefined);
      await server.stop();
    },
  };
}

function writeFiles(server: CodeServer, files: Record<string, string> | undefined): void {
  for (const [path, content] of Object.entries(files ?? {})) {
    const full = join(server.workspace, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
}

interface SharedEntry {
  workbench: Promise<Workbench>;
  refs: number;
}

// Bundled copies of this module (one per test file) share one registry through globalThis.
const registryHolder = globalThis as typeof globalThis & { llmLensWorkbenches?: Map<string, SharedEntry> };
const registry = (registryHolder.llmLensWorkbenches ??= new Map<string, SharedEntry>());

/**
 * A workbench with LLM Lens loaded. Standalone (one UI test file run alone) it is started for the
 * caller. Under test/ui/suite.ts (LLM_LENS_UI_SHARED=1, as `npm test` runs them) files share one
 * workbench per (development, extensions folder, locale, colour theme): each file's settings are written to the
 * live user settings (VS Code applies them), its files to the workspace, and every editor is closed,
 * so files start alike without paying for a new server and browser each.
 */
export async function openWorkbench(options: WorkbenchOptions = {}): Promise<Workbench> {
  if (process.env.LLM_LENS_UI_SHARED !== '1' || options.isolated) return startWorkbench(options);
  // A colour theme is part of the key: switching themes live did not reliably reach new webviews.
  const theme = options.settings?.['workbench.colorTheme'] ?? '';
  const key = JSON.stringify([options.development ?? true, options.extensionsDir ?? '', options.locale ?? '', options.version ?? '', theme]);
  let entry = registry.get(key);
  const reused = entry !== undefined;
  if (!entry) {
    entry = { workbench: startWorkbench(options), refs: 0 };
    registry.set(key, entry);
  }
  entry.refs++;
  const shared = await entry.workbench;
  if (reused) {
    writeFiles(shared.server, options.files);
    writeFileSync(join(shared.server.home, 'u', 'User', 'settings.json'), JSON.stringify({ ...quietSettings, ...options.settings }, null, 2));
    await closeAllEditors(shared.page);
    // VS Code watches the settings file; give it a moment to apply the new values.
    await shared.page.waitForTimeout(1_500);
  }
  const owner = entry;
  return {
    ...shared,
    close: async () => {
      owner.refs--;
      if (owner.refs === 0) {
        registry.delete(key);
        await shared.close();
      }
    },
  };
}

/** Moves the keyboard focus out of a focused webview, whose iframe would otherwise swallow F1. */
export async function focusWorkbench(page: Page): Promise<void> {
  await page.evaluate(() => {
    const active = document.activeElement;
    if (active instanceof HTMLIFrameElement) active.blur();
  });
}

/**
 * Opens the Quick Open box with F1, types `query` and waits for a row showing `rowText`, reopening the
 * box until it appears or `timeoutMs` pass: the development extension registers its commands a little
 * after the workbench shows, a file written while the workbench runs reaches Quick Open's search a
 * little later, and an open box does not refresh its list. Leaves the row's box open.
 */
async function quickOpen(page: Page, query: string, rowText: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // F1 (Ctrl+P does not leave a focused webview); without '>' the box searches files.
    await focusWorkbench(page);
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    try {
      await input.waitFor({ state: 'visible', timeout: 5_000 });
      await input.fill(query);
      await page.locator('.quick-input-list .monaco-list-row', { hasText: rowText }).first().waitFor({ timeout: 5_000 });
      return;
    } catch (error) {
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) throw error;
      await page.waitForTimeout(1_000);
    }
  }
}

/**
 * Closes every editor. Untitled copies of LLM Lens's samples (Welcome, the walkthrough) hold unsaved text, so
 * VS Code asks whether to save them: the answer is "Don't Save" (English or Korean workbench).
 */
export async function closeAllEditors(page: Page): Promise<void> {
  await runCommand(page, 'View: Close All Editors');
  const dontSave = page.locator('.monaco-dialog-box .monaco-button', { hasText: /Don.t Save|저장 안 함/ }).first();
  for (let i = 0; i < 5 && (await dontSave.isVisible({ timeout: 1_500 }).catch(() => false)); i++) await dontSave.click();
}

/** Runs a command from the Command Palette by its title, e.g. 'LLM Lens: Show Welcome'. */
export async function runCommand(page: Page, title: string, timeoutMs = 60_000): Promise<void> {
  await quickOpen(page, `>${title}`, title, timeoutMs);
  await page.keyboard.press('Enter');
}

/** Opens a workspace file in the editor through Quick Open. */
export async function openFile(page: Page, relativePath: string, timeoutMs = 60_000): Promise<void> {
  const name = relativePath.split('/').pop() ?? relativePath;
  await quickOpen(page, relativePath, name, timeoutMs);
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab.active', { hasText: name }).waitFor();
  await page.locator('.monaco-editor .view-lines').first().waitFor();
}

/** The content frame of the active webview panel. */
export function activeWebview(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').last().frameLocator('#active-frame');
}

/**
 * What a failing UI step leaves behind for whoever reads the log: a screenshot named `<name>-failure`,
 * the editor tabs, any notifications and the page's last console messages (webview errors land there).
 */
export async function reportFailure(workbench: Workbench, name: string): Promise<void> {
  const { page } = workbench;
  const path = await screenshot(page, `${name}-failure`).catch((error: unknown) => `no screenshot: ${String(error)}`);
  const texts = async (selector: string): Promise<string> =>
    (await page.locator(selector).allTextContents().catch(() => [] as string[])).map((t) => t.trim()).filter(Boolean).join(' | ');
  console.log(
    [
      `--- ${name} failed: ${path}`,
      `tabs: ${await texts('.tabs-container .tab .label-name')}`,
      `notifications: ${await texts('.notifications-toasts .notification-list-item-message')}`,
      'last console messages:',
      ...workbench.consoleMessages.slice(-30),
      '---',
    ].join('\n'),
  );
}

/** Options of `uiTest`. */
export interface UiTestOptions {
  /** The file's workbench (opened in its `before`). */
  workbench: () => Workbench;
  /** Time limit of one run, in ms (the test may take two). */
  timeout?: number;
}

/**
 * A UI test that runs once more, from a clean workbench (every editor closed), when its first run fails:
 * a headless workbench on a busy 2-core machine now and then loses a click or a context menu. The first
 * failure is reported (`reportFailure`: screenshot, tabs, notifications, console) and logged with the word
 * FLAKY; a second failure fails the test. Only for tests that set up everything they use.
 */
export function uiTest(name: string, options: UiTestOptions, body: () => Promise<void>): void {
  test(name, { timeout: options.timeout === undefined ? undefined : 2 * options.timeout }, async () => {
    try {
      await body();
      return;
    } catch (error) {
      const workbench = options.workbench();
      await reportFailure(workbench, `retry-${name.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 48)}`);
      const reason = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
      console.log(`FLAKY: "${name}" failed on its first run (${reason}); running it again from a clean workbench`);
      await workbench.page.keyboard.press('Escape').catch(() => undefined);
      await closeAllEditors(workbench.page);
      await workbench.page.waitForTimeout(1_000);
    }
    await body();
  });
}

/** Saves a PNG screenshot as test-results/ui/<name>-<version>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = join(extensionRoot, 'test-results', 'ui');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}-${selectedVersion()}.png`);
  await page.screenshot({ path });
  return path;
}
