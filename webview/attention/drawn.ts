// The Attention webview's picture of a run: the host's per-run snapshot plus the selection whose view it drew.
import type { AttentionSnapshot as RunSnapshot, AttentionStepView, AttentionView } from '../../src/shared/protocol';

/** The run with the view drawn for its selection (the selection is the view's once one has arrived). */
export type AttentionSnapshot = RunSnapshot & { selection: AttentionView['selection']; step?: AttentionStepView; view?: AttentionView };
