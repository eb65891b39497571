// The jobs that run off the extension host's event loop: heavy core work (tokenizing large texts, forward
// passes). Each feature adds its entries here; callers run them by name (see FOUNDATION.md). Every job runs in
// the model process (dist/modelHost.js) unless it is named in `tokenizerJobNames` (./jobNames: the tokenizer processes, dist/tokenizerHost.js):
// anything that loads or runs a model can exhaust memory and must not share the extension host's process.
import type { JobTable } from './workerHost';
import { attentionCsvJob, attentionJob, attentionMatrixJob, attentionViewJob } from './attentionJob';
import { decodeJob } from './decodeJob';
import { moeJob } from './moeJob';
import { ablationJob, headScanJob, heatmapExportJob, inductionTestJob, logitLensJob } from './analysisJob';
import { crashForTestJob, sessionForTestJob } from './testHooks';
import { conceptProbeJob, conceptTrainJob } from './conceptJob';
import { tokenizerJobs } from './tokenizerJobTable';

/** Every job, by name (the model process serves all of them; the tokenizer processes the tokenizer jobs). */
export const jobs = {
  /** The Attention panel's forward pass (issue 5). */
  attentionRun: attentionJob,
  /** The Attention panel's views of the held run: one head at the panel's resolution, its row and step (issue 12). */
  attentionView: attentionViewJob,
  /** The Attention panel's CSV export of the selected matrix at full resolution. */
  attentionCsv: attentionCsvJob,
  /** Attention panel (issue 18): the selected matrix at full resolution for the SVG / HTML export. */
  attentionMatrix: attentionMatrixJob,
  /** The tokenizer jobs (tokenizer processes: see ./tokenizerJobTable). */
  ...tokenizerJobs,
  /** Decoding panel (issue 17): generation with the KV cache, cooperative cancel, speed with and without the cache. */
  decode: decodeJob,
  /** MoE routing view (issue 15): one forward pass's expert routing and the parameter counts. */
  moeRouting: moeJob,
  /** Attention panel, Find heads (issue 18): head scores and sink shares of the run's tokens. */
  headScan: headScanJob,
  /** Attention panel, Find heads: the standard induction test (10 × [BOS] r r, fixed seed). */
  inductionTest: inductionTestJob,
  /** Attention panel (issue 18): the logit lens at the positions shown. */
  logitLens: logitLensJob,
  /** Attention panel (issue 18): next-token predictions with heads ablated. */
  headAblation: ablationJob,
  /** Attention panel (issue 18): the heatmap as SVG or self-contained HTML text. */
  heatmapExport: heatmapExportJob,
  /** Integration tests (issue 14): ends the model process; honoured only with LLM_LENS_TEST_HOOKS=1. */
  __crashForTest: crashForTestJob,
  /** Integration tests (issue 14): the options (memory budget) the model process received; only with LLM_LENS_TEST_HOOKS=1. */
  __sessionForTest: sessionForTestJob,
  /** Concept Lab (issue 20): every page's numbers from one forward pass with the runtime's hooks. */
  conceptProbe: conceptProbeJob,
  /** Concept Lab: live training of a copy of the embedded model on the text, loss per step as progress. */
  conceptTrain: conceptTrainJob,
} satisfies JobTable;


/** The job table's type: the pool's `run` is typed by it (import it with `import type` only). */
export type Jobs = typeof jobs;
