// Headless Chromium (Debian's) driven by playwright-core, for the workbench.
import { chromium, type Browser, type Page } from 'playwright-core';
import { join } from 'node:path';
import { isolatedEnv } from './codeServer';

/** Chromium flags for this offline machine (no sandbox as root, no background network). */
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Launches headless Chromium with its own HOME under `home`. */
export async function launchBrowser(home: string, locale?: string): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.LLM_LENS_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [...chromiumArgs, ...(locale ? [`--lang=${locale}`] : [])],
    env: isolatedEnv(join(home, 'chromium')) as Record<string, string>,
  });
}

/** A new page of `browser` sized like a laptop screen. */
export async function newPage(browser: Browser, locale?: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale });
  return context.newPage();
}
