import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { parseRequest, type PanelKind, type PersistedState, type PanelMessages, type ReplyOf, type SnapshotOf, type ToWebview } from '../shared/protocol';
import { webviewStrings } from '../shared/strings';
import type { Jobs } from '../compute/jobs';
import type { JobRunner } from '../compute/pool';

/** What panels and commands share: the extension context, the compute pool and the panel manager. */
export interface Services {
  context: vscode.ExtensionContext;
  pool: JobRunner<Jobs>;
  panels: PanelManager;
}

/** How one panel kind is made: registered once in extension.ts. */
export interface PanelDefinition<K extends PanelKind> {
  /** The panel kind (bundle name dist/webview/<kind>.js). */
  kind: K;
  /** Localized tab title. */
  title(): string;
  /**
   * Creates the panel object around a webview panel: new (restore undefined), or restored after a
   * window reload with the `restore` data its webview saved (untrusted: validate it).
   */
  create(webviewPanel: vscode.WebviewPanel, services: Services, restore: unknown): Panel<K>;
}

/** Options of a panel's webview: scripts on, resources only from dist/webview and media. */
export function webviewOptions(context: vscode.ExtensionContext): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    retainContextWhenHidden: false,
    localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(context.extensionUri, 'media')],
  };
}

/** The view type of a panel kind, e.g. `llmLens.welcome`. */
export function viewTypeOf(kind: PanelKind): string {
  return `llmLens.${kind}`;
}

/** Localized strings of panel `kind`, for injection into its page. */
function localizedStrings(kind: PanelKind): Record<string, string> {
  const english = webviewStrings[kind] as Record<string, string>;
  return Object.fromEntries(Object.entries(english).map(([key, text]) => [key, vscode.l10n.t(text)]));
}

/** JSON that is safe inside an HTML <script> element (no `</script>`, no HTML comments). */
function jsonForHtml(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

/**
 * The one panel base: strict CSP with a nonce, local resources only, a ready handshake (nothing is
 * posted before the webview says it listens), the complete snapshot re-sent whenever the webview
 * (re)loads, untrusted requests validated, cancellable jobs, disposal.
 */
export abstract class Panel<K extends PanelKind> implements vscode.Disposable {
  private ready = false;
  private snapshot: SnapshotOf<K> | undefined;
  private progress: ToWebview<K> | undefined;
  /** The last error, re-sent on 'ready': a job can fail before a slow webview has loaded. */
  private lastError: string | undefined;
  private jobCancel: vscode.CancellationTokenSource | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;
  private readonly onDidDisposeEmitter = new vscode.EventEmitter<void>();
  /** Fires once when the panel closes. */
  readonly onDidDispose = this.onDidDisposeEmitter.event;

  protected readonly context: vscode.ExtensionContext;

  protected constructor(
    readonly kind: K,
    readonly webviewPanel: vscode.WebviewPanel,
    protected readonly services: Services,
  ) {
    const context = services.context;
    this.context = context;
    webviewPanel.webview.options = webviewOptions(context);
    webviewPanel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'icon.png');
    webviewPanel.webview.html = this.html();
    this.disposables.push(
      webviewPanel.webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)),
      webviewPanel.onDidChangeViewState(() => {
        // A hidden webview is torn down (retainContextWhenHidden is off); it says 'ready' again when shown.
        if (!webviewPanel.visible) this.ready = false;
      }),
      webviewPanel.onDidDispose(() => this.dispose()),
    );
  }

  /** The latest complete snapshot posted (or queued until the webview is ready). */
  get currentSnapshot(): SnapshotOf<K> | undefined {
    return this.snapshot;
  }

  /** The error the panel shows now (cleared when a new job starts), if any. */
  get currentError(): string | undefined {
    return this.lastError;
  }

  /** True once the webview has said it is ready and while it stays loaded. */
  get isReady(): boolean {
    return this.ready;
  }

  /** Brings the panel to the front. */
  reveal(): void {
    this.webviewPanel.reveal(undefined, false);
  }

  /** Handles one validated request specific to this panel kind. */
  protected abstract handleRequest(request: PanelMessages[K]['request']): void | Promise<void>;

  /** Sets and posts the complete state; a webview that is not ready gets it when it says 'ready'. */
  protected setSnapshot(snapshot: SnapshotOf<K>): void {
    this.snapshot = snapshot;
    this.post({ type: 'snapshot', snapshot });
  }

  /**
   * Posts large data the snapshot leaves out (a matrix, thumbnails); dropped while the webview is not ready,
   * so a panel re-posts what its page needs from `onWebviewReady`.
   */
  protected postReply(reply: ReplyOf<K>): void {
    this.post({ type: 'reply', reply });
  }

  /** Called after the webview (re)loaded and the snapshot was re-sent: re-post replies its page needs. */
  protected onWebviewReady(): void {
    // Most panels send everything in the snapshot.
  }

  /** Shows an error in the panel (and keeps the last good snapshot). */
  protected showError(message: string): void {
    this.lastError = message;
    this.post({ type: 'error', message });
  }

  /**
   * Runs a slow job with progress in the panel and a Cancel button. A newer job cancels the older one.
   * Returns undefined when cancelled; errors are shown in the panel and returned as undefined too.
   */
  protected async runJob<T>(
    message: string,
    job: (token: vscode.CancellationToken, report: (fraction: number, message?: string) => void) => Promise<T>,
  ): Promise<T | undefined> {
    this.jobCancel?.cancel();
    const source = new vscode.CancellationTokenSource();
    this.jobCancel = source;
    const report = (fraction: number, text?: string) => {
      if (this.jobCancel !== source) return;
      this.progress = { type: 'progress', message: text ?? message, fraction, cancellable: true };
      this.post(this.progress);
    };
    this.progress = { type: 'progress', message, cancellable: true };
    this.lastError = undefined;
    this.post(this.progress);
    try {
      const result = await job(source.token, report);
      return source.token.isCancellationRequested ? undefined : result;
    } catch (error) {
      if (!source.token.isCancellationRequested) this.showError(errorMessage(error));
      return undefined;
    } finally {
      if (this.jobCancel === source) {
        this.jobCancel = undefined;
        this.progress = undefined;
        this.post({ type: 'idle' });
      }
      source.dispose();
    }
  }

  /** Cancels the running job, if any. */
  cancelJob(): void {
    this.jobCancel?.cancel();
  }

  /** Registers something to dispose with the panel. */
  protected track(disposable: vscode.Disposable): void {
    this.disposables.push(disposable);
  }

  private post(message: ToWebview<K>): void {
    if (!this.ready || this.disposed) return;
    void this.webviewPanel.webview.postMessage(message);
  }

  /** Handles `raw` exactly as if the webview had posted it (integration tests press buttons this way). */
  receiveForTest(raw: unknown): void {
    this.receive(raw);
  }

  private receive(raw: unknown): void {
    const request = parseRequest(this.kind, raw);
    if (!request) {
      console.warn(`[LLM Lens] ignored an invalid message from the ${this.kind} webview`);
      return;
    }
    if (request.type === 'ready') {
      this.ready = true;
      if (this.snapshot !== undefined) this.post({ type: 'snapshot', snapshot: this.snapshot });
      if (this.progress) this.post(this.progress);
      else if (this.lastError !== undefined) this.post({ type: 'error', message: this.lastError });
      // Nothing runs: a webview that paints "working" until it hears from the host can show its resting state.
      else if (this.snapshot === undefined) this.post({ type: 'idle' });
      this.onWebviewReady();
      return;
    }
    if (request.type === 'cancel') {
      this.cancelJob();
      return;
    }
    const own = request as PanelMessages[K]['request'];
    Promise.resolve()
      .then(() => this.handleRequest(own))
      .catch((error: unknown) => this.showError(errorMessage(error)));
  }

  private html(): string {
    const webview = this.webviewPanel.webview;
    const nonce = randomBytes(16).toString('base64');
    const asset = (...parts: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, ...parts)).toString();
    const csp = [
      "default-src 'none'",
      `script-src 'nonce-${nonce}'`,
      `style-src ${webview.cspSource} 'nonce-${nonce}'`,
      `img-src ${webview.cspSource} data:`,
      `font-src ${webview.cspSource}`,
    ].join('; ');
    const init = { kind: this.kind, strings: localizedStrings(this.kind), language: vscode.env.language, mediaUri: asset('media') };
    return `<!DOCTYPE html>
<html lang="${vscode.env.language.startsWith('ko') ? 'ko' : 'en'}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta property="csp-nonce" content="${nonce}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${asset('media', 'common.css')}">
<link rel="stylesheet" href="${asset('dist', 'webview', `${this.kind}.css`)}">
<title>LLM Lens</title>
</head>
<body>
<div id="llm-lens-live" class="visually-hidden" aria-live="polite"></div>
<main id="app" data-kind="${this.kind}"></main>
<script type="application/json" id="llm-lens-init">${jsonForHtml(init)}</script>
<script nonce="${nonce}" src="${asset('dist', 'webview', `${this.kind}.js`)}"></script>
</body>
</html>`;
  }

  /** Closes the panel and releases everything it holds. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.jobCancel?.cancel();
    this.webviewPanel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.onDidDisposeEmitter.fire();
    this.onDidDisposeEmitter.dispose();
  }
}

/** A readable message from anything thrown. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** One live panel per kind: shows the existing one or creates it; restores panels after a window reload. */
export class PanelManager implements vscode.Disposable {
  private readonly live = new Map<PanelKind, Panel<PanelKind>>();
  /** Kinds opened in a column of their own choosing (Welcome, in the editor's column), not beside it. */
  private readonly pinned = new Set<PanelKind>();
  private readonly registrations: vscode.Disposable[] = [];
  private readonly services: Services;
  private readonly onDidCloseLastEmitter = new vscode.EventEmitter<void>();
  /** Fires when the last open LLM Lens panel closes (the model process can then let its model go). */
  readonly onDidCloseLast = this.onDidCloseLastEmitter.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    pool: JobRunner<Jobs>,
  ) {
    this.services = { context, pool, panels: this };
  }

  /** Registers a panel kind and its serializer (so its panels come back after a reload). */
  register<K extends PanelKind>(definition: PanelDefinition<K>): void {
    this.registrations.push(
      vscode.window.registerWebviewPanelSerializer(viewTypeOf(definition.kind), {
        deserializeWebviewPanel: async (webviewPanel, state: unknown) => {
          const restore = (state as PersistedState | undefined)?.restore;
          this.adopt(definition.kind, definition.create(webviewPanel, this.services, restore));
        },
      }),
    );
  }

  /**
   * The live panel of `kind`, created with `definition` when there is none. Without `column` it opens where
   * every LLM Lens panel opens (see `besideColumn`); an explicit column (Welcome's first) is kept to itself.
   */
  show<K extends PanelKind>(definition: PanelDefinition<K>, column?: vscode.ViewColumn): Panel<K> {
    const existing = this.live.get(definition.kind) as Panel<K> | undefined;
    if (existing) {
      existing.webviewPanel.reveal(existing.webviewPanel.viewColumn ?? column ?? this.besideColumn(), true);
      return existing;
    }
    if (column !== undefined) this.pinned.add(definition.kind);
    else this.pinned.delete(definition.kind);
    const viewColumn = column ?? this.besideColumn();
    const webviewPanel = vscode.window.createWebviewPanel(viewTypeOf(definition.kind), definition.title(), { viewColumn, preserveFocus: true }, webviewOptions(this.context));
    const panel = definition.create(webviewPanel, this.services, undefined);
    this.adopt(definition.kind, panel);
    return panel;
  }

  /**
   * The one placement rule: the column that already holds LLM Lens panels (other than one pinned to the
   * editor's own column), else the column beside the text editor. ViewColumn.Beside alone is relative to
   * the active group, so a command run while a panel had focus opened a third column.
   */
  private besideColumn(): vscode.ViewColumn {
    const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
    const editorColumn = editor?.viewColumn;
    for (const [kind, panel] of this.live) {
      const at = panel.webviewPanel.viewColumn;
      if (at !== undefined && at !== editorColumn && !this.pinned.has(kind)) return at;
    }
    if (editorColumn !== undefined) return editorColumn + 1;
    // No text editor: beside whatever is open, or the first column of an empty window.
    return vscode.window.tabGroups.all.some((group) => group.tabs.length > 0) ? vscode.ViewColumn.Beside : vscode.ViewColumn.One;
  }

  /** The live panel of `kind`, if one is open (tests use it to read what was posted). */
  get<K extends PanelKind>(kind: K): Panel<K> | undefined {
    return this.live.get(kind) as Panel<K> | undefined;
  }

  /** The kinds of the panels open now. */
  openKinds(): PanelKind[] {
    return [...this.live.keys()];
  }

  private adopt<K extends PanelKind>(kind: K, panel: Panel<K>): void {
    this.live.set(kind, panel as unknown as Panel<PanelKind>);
    panel.onDidDispose(() => {
      if (this.live.get(kind) === (panel as unknown as Panel<PanelKind>)) this.live.delete(kind);
      if (this.live.size === 0) this.onDidCloseLastEmitter.fire();
    });
  }

  /** Closes every panel and unregisters the serializers. */
  dispose(): void {
    for (const panel of [...this.live.values()]) panel.dispose();
    for (const r of this.registrations.splice(0)) r.dispose();
    this.onDidCloseLastEmitter.dispose();
  }
}
