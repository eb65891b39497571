// The jobs the compute worker runs: heavy core work (tokenizing large texts, forward passes).
// Each feature adds its entries here; the pool calls them by name (see FOUNDATION.md).
import type { JobTable } from './workerHost';
import { attentionJob } from './attentionJob';

/** Every job the compute worker serves, by name. */
export const jobs = {
  /** The Attention panel's forward pass (issue 5). */
  attentionRun: attentionJob,
} satisfies JobTable;

/** The job table's type: the pool's `run` is typed by it (import it with `import type` only). */
export type Jobs = typeof jobs;
