// One entry for every job: tokenizer jobs go to the tokenizer processes, model jobs to the model process. Panels
// keep calling `run(name, input, options)` and need not know where a job runs.
import type { JobRunner, RunOptions } from './pool';
import type { ComputePool } from './processPool';
import type { ModelHost } from './modelHost';
import type { JobTable } from './workerHost';

/** Routes each job by name: names in `tokenizerJobs` to the tokenizer processes, the rest to the model process. */
export class Compute<T extends JobTable> implements JobRunner<T> {
  constructor(
    /** The tokenizer processes. */
    readonly tokenizers: ComputePool<T>,
    /** The model process. */
    readonly models: ModelHost<T>,
    private readonly tokenizerJobs: ReadonlySet<string>,
  ) {}

  /** Runs job `job` where it belongs; resolves with its output. */
  run<N extends keyof T & string>(job: N, input: Parameters<T[N]>[0], options?: RunOptions): Promise<Awaited<ReturnType<T[N]>>> {
    return this.tokenizerJobs.has(job) ? this.tokenizers.run(job, input, options) : this.models.run(job, input, options);
  }

  /** Stops the tokenizer processes and the model process. */
  dispose(): void {
    this.tokenizers.dispose();
    this.models.dispose();
  }
}
