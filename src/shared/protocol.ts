// The one message protocol between the extension host and the webviews (house style: vscode-hexeditor).
// Both sides import it; it imports neither 'vscode' nor the DOM. Every message from a webview is
// untrusted input: the host only acts on what `parseRequest` returns.

/** Every command id LLM Lens contributes (one documented list; package.json declares the same ids). */
export const CommandId = {
  /** Opens the Welcome panel. */
  showWelcome: 'llmLens.showWelcome',
  /** Tokenizes the selection (or the document) and opens the Tokenization panel. */
  tokenizeSelection: 'llmLens.tokenizeSelection',
  /** Opens the KV-cache memory panel (optionally on a config.json). */
  showKvCache: 'llmLens.showKvCache',
  /** Runs the forward pass on the selection and opens the Attention panel. */
  showAttention: 'llmLens.showAttention',
  /** Picks the model the Attention panel uses. */
  chooseModel: 'llmLens.chooseModel',
  /** Opens the glossary. */
  openGlossary: 'llmLens.openGlossary',
} as const;

/** One of LLM Lens's command ids. */
export type CommandId = (typeof CommandId)[keyof typeof CommandId];

/** True when `value` is one of LLM Lens's command ids. */
export function isCommandId(value: unknown): value is CommandId {
  return typeof value === 'string' && (Object.values(CommandId) as string[]).includes(value);
}

// ---------------------------------------------------------------------------------------------
// Per-panel snapshots (host -> webview, always complete) and requests (webview -> host).

/** One feature card on the Welcome panel. */
export interface WelcomeFeature {
  /** The command the card's button runs. */
  command: CommandId;
  /** Card title, localized. */
  title: string;
  /** One or two sentences, localized. */
  description: string;
  /** Button label, localized. */
  action: string;
}

/** Everything the Welcome panel shows. */
export interface WelcomeSnapshot {
  /** The extension's version from package.json. */
  version: string;
  /** Features whose commands are registered in this window. */
  features: WelcomeFeature[];
}

/** Welcome panel requests. */
export type WelcomeRequest =
  /** Run one of LLM Lens's commands (the host checks it is one). */
  { type: 'runCommand'; command: CommandId };

/** The snapshot and request types of each panel kind. New panels add one line here. */
export interface PanelMessages {
  welcome: { snapshot: WelcomeSnapshot; request: WelcomeRequest };
}

/** A panel kind: also the webview bundle name (dist/webview/<kind>.js) and the view type suffix. */
export type PanelKind = keyof PanelMessages;

/** The snapshot type of panel `K`. */
export type SnapshotOf<K extends PanelKind> = PanelMessages[K]['snapshot'];

/** What a webview persists with setState; the serializer hands it back after a window reload. */
export interface PersistedState {
  /** Small, panel-specific data the host needs to recompute the snapshot (validated before use). */
  restore?: unknown;
}

/** Requests every panel understands. */
export type CommonRequest =
  /** The webview has loaded and listens: the host may post (messages posted earlier are lost). */
  | { type: 'ready' }
  /** The user pressed Cancel on the running job. */
  | { type: 'cancel' };

/** Everything panel `K`'s webview may send. */
export type RequestOf<K extends PanelKind> = CommonRequest | PanelMessages[K]['request'];

/** Everything the host posts to panel `K`'s webview. */
export type ToWebview<K extends PanelKind> =
  /** The complete state to render (never a delta). */
  | { type: 'snapshot'; snapshot: SnapshotOf<K> }
  /** A slow job is running; `fraction` in [0, 1] when known. */
  | { type: 'progress'; message: string; fraction?: number; cancellable: boolean }
  /** The job finished or was cancelled: hide the progress. */
  | { type: 'idle' }
  /** Something failed: a clear, localized message. */
  | { type: 'error'; message: string };

// ---------------------------------------------------------------------------------------------
// Runtime validation of webview messages.

/** A plain object, or undefined. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** A finite number in [min, max], or undefined. */
export function numberIn(value: unknown, min: number, max: number): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max ? value : undefined;
}

/** An integer in [min, max], or undefined. */
export function intIn(value: unknown, min: number, max: number): number | undefined {
  const n = numberIn(value, min, max);
  return n !== undefined && Number.isInteger(n) ? n : undefined;
}

/** A string of at most `maxLength` UTF-16 units, or undefined. */
export function stringUpTo(value: unknown, maxLength: number): string | undefined {
  return typeof value === 'string' && value.length <= maxLength ? value : undefined;
}

/** One of `options`, or undefined. */
export function oneOf<T extends string>(value: unknown, options: readonly T[]): T | undefined {
  return typeof value === 'string' && (options as readonly string[]).includes(value) ? (value as T) : undefined;
}

/** Validates one panel's own requests; returns undefined for anything malformed. */
type RequestValidator<K extends PanelKind> = (message: Record<string, unknown>) => PanelMessages[K]['request'] | undefined;

const requestValidators: { [K in PanelKind]: RequestValidator<K> } = {
  welcome: (m) => (m.type === 'runCommand' && isCommandId(m.command) ? { type: 'runCommand', command: m.command } : undefined),
};

/** Checks a raw message from panel `kind`'s webview; undefined when it is not a valid request. */
export function parseRequest<K extends PanelKind>(kind: K, raw: unknown): RequestOf<K> | undefined {
  const message = asRecord(raw);
  if (!message || typeof message.type !== 'string') return undefined;
  if (message.type === 'ready' || message.type === 'cancel') return { type: message.type };
  const validate = requestValidators[kind] as RequestValidator<K>;
  return validate(message);
}
