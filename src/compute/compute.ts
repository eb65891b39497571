// One entry for every job: tokenizer jobs go to the worker-thread pool, model jobs to the model process. Panels
// keep calling `run(name, input, options)` and need not know where a job runs.
import type { ComputePool, JobRunner, RunOptions } from './pool';
import type { ModelHost } from './modelHost';
import type { JobTable } from './workerHost';

/** Routes each job by name: names in `threadJobs` to the worker threads, the rest to the model process. */
export class Compute<T extends JobTable> implements JobRunner<T> {
  constructor(
    /** The worker-thread pool (tokenizers). */
    readonly threads: ComputePool<T>,
    /** The model process. */
    readonly models: ModelHost<T>,
    private readonly threadJobs: ReadonlySet<string>,
  ) {}

  /** Runs job `job` where it belongs; resolves with its output. */
  run<N extends keyof T & string>(job: N, input: Parameters<T[N]>[0], options?: RunOptions): Promise<Awaited<ReturnType<T[N]>>> {
    return this.threadJobs.has(job) ? this.threads.run(job, input, options) : this.models.run(job, input, options);
  }

  /** Stops the workers and the model process. */
  dispose(): void {
    this.threads.dispose();
    this.models.dispose();
  }
}
