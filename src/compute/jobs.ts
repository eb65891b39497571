// The jobs the compute worker runs: heavy core work (tokenizing large texts, forward passes).
// Each feature adds its entries here; the pool calls them by name (see FOUNDATION.md).
import type { JobTable } from './workerHost';

/** Every job the compute worker serves, by name. */
export const jobs = {} satisfies JobTable;

/** The job table's type: the pool's `run` is typed by it (import it with `import type` only). */
export type Jobs = typeof jobs;
