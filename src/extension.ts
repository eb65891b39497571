// First import: marks when the bundle began to load, for the activation benchmark.
import { bundleStartedAt } from './activationClock';
import * as vscode from 'vscode';
import { performance } from 'node:perf_hooks';
import { showWelcome } from './commands/showWelcome';
import { showAttention } from './commands/showAttention';
import { chooseModel, lastChooseModelRows, type ModelPickRow } from './commands/chooseModel';
import { useSaveTargetOnceForTest } from './panels/attention/saveTarget';
import { AttentionPanel } from './panels/attentionPanel';
import { MoePanel } from './panels/moePanel';
import { showMoeRouting } from './commands/showMoeRouting';
import { showKvCache } from './commands/showKvCache';
import { registerHostStatsForTest } from './commands/hostStatsForTest';
import type { Jobs } from './compute/jobs';
import { ComputePool } from './compute/processPool';
import { Compute } from './compute/compute';
import { ModelHost } from './compute/modelHost';
import { tokenizerJobNames } from './compute/jobNames';
import { heapLimitMiB, memoryBudgetBytes } from './compute/budget';
import { PanelManager } from './panels/panel';
import { WelcomePanel } from './panels/welcomePanel';
import { KvCachePanel } from './panels/kvCachePanel';
import { GlossaryPanel } from './panels/glossaryPanel';
import { openGlossary } from './commands/openGlossary';
import { learnChapter } from './commands/learnChapter';
import { runWithEditorOrSample } from './commands/editorOrSample';
import { registerGlossaryHover } from './hover/glossaryHover';
import { tokenizeSelection } from './commands/tokenizeSelection';
import { useAsTokenizer } from './commands/useAsTokenizer';
import { generateFromSelection } from './commands/generateFromSelection';
import { DecodingPanel } from './panels/decodingPanel';
import { ConceptLabPanel } from './panels/conceptLabPanel';
import { openConceptLab } from './commands/openConceptLab';
import { TokenizerPanel, type TokenizerPanelTimings } from './panels/tokenizerPanel';
import { TokenCountStatus, type TokenCountUpdate } from './statusBar/tokenCount';
import { TokenBoundaries } from './editor/tokenBoundaries';
import { CommandId, type AttentionThumbnails, type AttentionView, type PanelKind, type SnapshotOf } from './shared/protocol';
import type { PostedMessage } from './panels/attentionPanel';

/** What activate() returns: lets integration tests read what a panel was sent, through the real host. */
export interface LlmLensApi {
  /** The latest complete snapshot posted to the open panel of `kind`, if any. */
  snapshotOf<K extends PanelKind>(kind: K): SnapshotOf<K> | undefined;
  /** True when the open panel of `kind` has completed the ready handshake. */
  isPanelReady(kind: PanelKind): boolean;
  /** Delivers `message` to the open panel of `kind` as if its webview posted it (validated the same way); false when none is open. */
  postFromWebview(kind: PanelKind, message: unknown): boolean;
  /** The kinds of the panels open now. */
  openPanels(): PanelKind[];
  /** Milliseconds from the bundle starting to load to the end of activate() (for `npm run bench`). */
  activationMs: number;
  /** Of which: the activate() call itself. */
  activateBodyMs: number;
  /** Of which: evaluating the bundle's modules (the rest is the host's own work between loading and activating). */
  bundleEvaluationMs: number;
  /** The rows the last "LLM Lens: Choose Model" quick pick showed (label, description, detail), for tests. */
  chooseModelRows(): readonly ModelPickRow[] | undefined;
  /** What a Welcome panel button does (tests run it without clicking): see runWithEditorOrSample. */
  runWelcomeFeature(command: string): Promise<'active' | 'visible' | 'sample' | 'none'>;
  /** The token-count status bar item and the Tokenization panel's timings (tests and benchmarks). */
  tokenizer: {
    statusBarText(): string | undefined;
    statusBarTooltip(): string | undefined;
    statusBarUpdates(): readonly TokenCountUpdate[];
    updateStatusBar(): Promise<void>;
    panelTimings(): TokenizerPanelTimings | undefined;
  };
  /** Token boundaries in the editor (issue 19): what is drawn and what it cost the host. */
  tokenBoundaries: TokenBoundaries;
  /** Test runs only (ExtensionMode.Test): answer the next Attention export's save dialog with `uri` (issue 18). */
  useSaveTargetOnceForTest(uri: vscode.Uri): void;
  /** The error the open panel of `kind` shows now, if any (tests read what the user reads). */
  errorOf(kind: PanelKind): string | undefined;
  /** Every job, routed as panels run them; and the model process (issue 14: tests crash it and watch it come back). */
  compute: Compute<Jobs>;
  /** The Attention panel's replies (issue 12): the latest view with its matrix, the run's thumbnails, and the size of each message it posted. */
  attention: {
    view(): AttentionView | undefined;
    thumbnails(): AttentionThumbnails | undefined;
    posted(): readonly PostedMessage[];
  };
}

/** Wires commands, panels (with serializers), hovers and the status bar. Nothing heavy runs here. */
export function activate(context: vscode.ExtensionContext): LlmLensApi {
  const activateStartedAt = performance.now();
  // The compute processes start on the first heavy job, not here. Tokenizer jobs run in tokenizer processes (issue
  // 12: what a worker thread allocated stayed in the host after it ended; a process gives it back); model jobs in
  // the model process (issue 14). Neither's death can take the extension host down.
  const models = new ModelHost<Jobs>({
    script: context.asAbsolutePath('dist/modelHost.js'),
    maxOldSpaceMiB: heapLimitMiB(),
    session: () => ({ maxResidentBytes: memoryBudgetBytes(vscode.workspace.getConfiguration('llmLens').get<number>('model.memoryBudgetMiB')) }),
  });
  // Tokenizer jobs hold vocabularies and small texts: the default heap limit, and a cancelled job that does not
  // stop within a second has its process ended (tokenizers do not look at the signal; a vocabulary reloads in well
  // under a second). A minute without any tokenizer job (the status bar counts while the user types, with or
  // without a panel) ends them too.
  const tokenizers = new ComputePool<Jobs>({
    script: context.asAbsolutePath('dist/tokenizerHost.js'),
    name: 'tokenizer process',
    cancelGraceMs: 1000,
    idleReleaseMs: 60_000,
  });
  const pool = new Compute<Jobs>(tokenizers, models, tokenizerJobNames);
  const panels = new PanelManager(context, pool);
  context.subscriptions.push(panels, pool);
  // Nothing shows a model once every panel is closed: end the model process and the idle tokenizer processes (their
  // memory goes back to the system) 5 s later, as js-profile-visualizer stops its worker 5 s after the last user,
  // unless a panel opens again in between. A job still out then (a run the closed panel cancelled, a status-bar
  // count) is let finish and looked at again 5 s later; the next job starts a process anew.
  let releaseTimer: NodeJS.Timeout | undefined;
  const releaseSoon = (): void => {
    clearTimeout(releaseTimer);
    releaseTimer = setTimeout(() => {
      if (panels.openKinds().length > 0) return;
      const tokenizersGone = tokenizers.releaseIdle();
      const modelGone = models.releaseWhenIdle() || !models.running;
      if (!tokenizersGone || !modelGone) releaseSoon();
    }, 5000);
  };
  context.subscriptions.push(panels.onDidCloseLast(releaseSoon), { dispose: () => clearTimeout(releaseTimer) });
  // Test runs only (LLM_LENS_HOST_STATS set by the UI test launcher): the host's own loop-delay and memory numbers.
  context.subscriptions.push(registerHostStatsForTest(process.env.LLM_LENS_HOST_STATS, () => ({ modelProcessPid: models.pid, tokenizerProcessPids: tokenizers.pids })));

  // Panels: one registration per kind (the serializer brings them back after a reload).
  panels.register(WelcomePanel.definition);
  panels.register(AttentionPanel.definition);
  panels.register(KvCachePanel.definition);
  panels.register(GlossaryPanel.definition);
  panels.register(TokenizerPanel.definition);
  panels.register(DecodingPanel.definition);
  panels.register(MoePanel.definition);
  panels.register(ConceptLabPanel.definition);

  // Commands.
  context.subscriptions.push(vscode.commands.registerCommand(CommandId.showWelcome, () => showWelcome(panels)));
  context.subscriptions.push(
    vscode.commands.registerCommand(CommandId.showAttention, () => showAttention(panels)),
    vscode.commands.registerCommand(CommandId.chooseModel, async () => {
      // A new model re-runs the open Attention panel on its text.
      if (!(await chooseModel(context))) return;
      const panel = panels.get('attention');
      if (panel instanceof AttentionPanel) await panel.rerun();
    }),
  );
  context.subscriptions.push(vscode.commands.registerCommand(CommandId.showKvCache, (uri?: unknown) => showKvCache(panels, uri)));
  context.subscriptions.push(
    vscode.commands.registerCommand(CommandId.openGlossary, (arg?: unknown) => openGlossary(panels, arg)),
    vscode.commands.registerCommand(CommandId.learnChapter, (arg?: unknown) => learnChapter(context, panels, arg)),
  );

  // Decoding (issue 17): generate from the selection with the current model.
  context.subscriptions.push(vscode.commands.registerCommand(CommandId.generateFromSelection, () => generateFromSelection(panels)));

  // Concept Lab (issue 20): RoPE, RMSNorm and SwiGLU, masks and live training on a real model.
  context.subscriptions.push(vscode.commands.registerCommand(CommandId.openConceptLab, (arg?: unknown) => openConceptLab(panels, arg)));

  // Hovers: glossary terms in every file type (the matcher is built on the first hover).
  context.subscriptions.push(registerGlossaryHover());

  // Tokenization (issue 3): the command, and the status bar count (counted in the compute worker).
  context.subscriptions.push(vscode.commands.registerCommand(CommandId.tokenizeSelection, (uri?: unknown) => tokenizeSelection(panels, uri)));
  context.subscriptions.push(vscode.commands.registerCommand(CommandId.useAsTokenizer, (uri?: unknown) => useAsTokenizer(panels, pool, uri)));
  const tokenCount = new TokenCountStatus(pool);
  context.subscriptions.push(tokenCount);
  // Token boundaries drawn in the editor (issue 19); nothing runs until the command turns them on.
  const tokenBoundaries = new TokenBoundaries(pool);
  context.subscriptions.push(tokenBoundaries, vscode.commands.registerCommand(CommandId.toggleTokenBoundaries, () => tokenBoundaries.toggle()));

  // Mixture-of-experts routing (issue 15): which experts each token of the selection goes to.
  context.subscriptions.push(vscode.commands.registerCommand(CommandId.showMoeRouting, () => showMoeRouting(panels)));
  const attentionPanel = (): AttentionPanel | undefined => {
    const panel = panels.get('attention');
    return panel instanceof AttentionPanel ? panel : undefined;
  };

  const activatedAt = performance.now();
  return {
    activationMs: activatedAt - bundleStartedAt,
    activateBodyMs: activatedAt - activateStartedAt,
    bundleEvaluationMs: bundleEvaluatedAt - bundleStartedAt,
    snapshotOf: (kind) => panels.get(kind)?.currentSnapshot,
    isPanelReady: (kind) => panels.get(kind)?.isReady ?? false,
    postFromWebview: (kind, message) => {
      const panel = panels.get(kind);
      panel?.receiveForTest(message);
      return panel !== undefined;
    },
    openPanels: () => panels.openKinds(),
    chooseModelRows: () => lastChooseModelRows(),
    runWelcomeFeature: (command) => runWithEditorOrSample(context, command),
    tokenizer: {
      statusBarText: () => tokenCount.text,
      statusBarTooltip: () => tokenCount.tooltip,
      statusBarUpdates: () => tokenCount.updates,
      updateStatusBar: () => tokenCount.update(),
      panelTimings: () => {
        const panel = panels.get('tokenizer');
        return panel instanceof TokenizerPanel ? panel.timings : undefined;
      },
    },
    tokenBoundaries,
    useSaveTargetOnceForTest: (uri) => useSaveTargetOnceForTest(context, uri),
    errorOf: (kind) => panels.get(kind)?.currentError,
    compute: pool,
    attention: {
      view: () => attentionPanel()?.views.view,
      thumbnails: () => attentionPanel()?.views.thumbnails,
      posted: () => attentionPanel()?.posted ?? [],
    },
  };
}

/** Nothing to do: everything is disposed through context.subscriptions. */
export function deactivate(): void {}

// Last statement of the bundle's top level: every module above has been evaluated.
const bundleEvaluatedAt = performance.now();
