// Typed messaging with the extension host, and the data the host injected into the page.
import type { PanelKind, PersistedState, ReplyOf, RequestOf, SnapshotOf, ToWebview } from '../../src/shared/protocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

/** The data the host put in the page: the panel kind, its localized strings and VS Code's language. */
export interface InitData {
  kind: PanelKind;
  strings: Record<string, string>;
  language: string;
  /** The webview URI of the extension's media/ folder (icons, images). */
  mediaUri: string;
}

let api: VsCodeApi | undefined;
function vscodeApi(): VsCodeApi {
  api ??= acquireVsCodeApi();
  return api;
}

/** Reads the host's injected init data. */
export function initData(): InitData {
  const element = document.getElementById('llm-lens-init');
  return JSON.parse(element?.textContent ?? '{}') as InitData;
}

/** Handlers for what the host posts. */
export interface HostHandlers<K extends PanelKind> {
  /** A complete new state to render. */
  snapshot(snapshot: SnapshotOf<K>): void;
  /** A slow job runs. */
  progress?(message: string, fraction: number | undefined, cancellable: boolean): void;
  /** The job ended. */
  idle?(): void;
  /** Something failed. */
  error?(message: string): void;
  /** Large data the snapshot leaves out (panels that ask for it). */
  reply?(reply: ReplyOf<K>): void;
}

/** Listens to the host and says 'ready' (the host posts nothing before). Returns a typed sender. */
export function connect<K extends PanelKind>(handlers: HostHandlers<K>): (request: RequestOf<K>) => void {
  window.addEventListener('message', (event: MessageEvent<ToWebview<K>>) => {
    const message = event.data;
    switch (message.type) {
      case 'snapshot':
        handlers.snapshot(message.snapshot);
        break;
      case 'progress':
        handlers.progress?.(message.message, message.fraction, message.cancellable);
        break;
      case 'idle':
        handlers.idle?.();
        break;
      case 'error':
        handlers.error?.(message.message);
        break;
      case 'reply':
        handlers.reply?.(message.reply);
        break;
    }
  });
  const send = (request: RequestOf<K>) => vscodeApi().postMessage(request);
  send({ type: 'ready' } as RequestOf<K>);
  return send;
}

/** UI state persisted across hide/show and window reloads (only UI state, plus the host's restore data). */
export function loadState<S extends object>(): (S & PersistedState) | undefined {
  return vscodeApi().getState() as (S & PersistedState) | undefined;
}

/** Saves UI state (and `restore`, which the host's serializer reads after a reload). */
export function saveState<S extends object>(state: S & PersistedState): void {
  vscodeApi().setState(state);
}
