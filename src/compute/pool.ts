import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { JobReply, JobTable } from './workerHost';

/** Something that can say it was cancelled (vscode.CancellationToken fits). */
export interface CancelSignal {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}

/** Options of one job run. */
export interface RunOptions {
  /** Progress from the worker. */
  onProgress?: (fraction: number, message?: string) => void;
  /**
   * Cancels the job. In a worker thread the worker is terminated (JS cannot interrupt a busy thread otherwise);
   * in the model process the job is told to stop (it checks between layers) and the process is ended only if
   * it does not stop soon (see ModelHost).
   */
  cancel?: CancelSignal;
  /**
   * Model-process jobs only: on cancel, wait for the job's own result (a job that checks its signal returns
   * what it made so far, as decoding does) instead of rejecting at once with JobCancelledError.
   */
  returnOnCancel?: boolean;
  /**
   * Jobs with the same key run on the same worker, so caches there (a loaded model, a vocabulary)
   * are reused. Without a key the least busy worker is used.
   */
  affinity?: string;
  /**
   * A softer affinity: the job runs on that key's worker when it is idle (its caches are warm), else on
   * the least busy one, so it never waits behind a long job.
   */
  prefer?: string;
}

/** The error a cancelled job rejects with. */
export class JobCancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'JobCancelledError';
  }
}

/** The error a job that threw in its worker rejects with (same name, message and `code` when the error had one). */
export class JobFailedError extends Error {
  /** The thrown error's machine-readable code (e.g. TokenizerError's 'embeddedNotBuilt'), if it had one. */
  readonly code: string | undefined;

  constructor(name: string, message: string, code?: string) {
    super(message);
    this.name = name;
    this.code = code;
  }
}

/**
 * The error a model-process job rejects with when that process ended under it: out of memory (the kernel's
 * out-of-memory killer or V8's heap limit), a native crash, or an exit. The extension host lives on and the next
 * job starts a new process. `code` is 'modelProcessDied'.
 */
export class ModelProcessDiedError extends JobFailedError {
  /** The process's exit code, when it exited. */
  readonly exitCode: number | null;
  /** The signal that ended it (SIGKILL: most often the system's out-of-memory killer; SIGABRT: a fatal error). */
  readonly signal: string | null;
  /** What most likely ended it: 'heapLimit' (V8 reported its heap limit), 'killed' (SIGKILL), 'crash', 'exit'. */
  readonly reason: 'heapLimit' | 'killed' | 'crash' | 'exit';
  /** The last lines the process wrote to stderr (for logs; not shown as the message). */
  readonly stderrTail: string;

  constructor(exitCode: number | null, signal: string | null, stderrTail: string) {
    const reason = /heap out of memory|Reached heap limit/i.test(stderrTail) ? 'heapLimit' : signal === 'SIGKILL' ? 'killed' : signal !== null ? 'crash' : 'exit';
    const how = signal !== null ? `signal ${signal}` : `exit code ${exitCode}`;
    super('ModelProcessDiedError', `the model process stopped (${how}${reason === 'heapLimit' ? ', JavaScript heap limit reached' : ''})`, 'modelProcessDied');
    this.exitCode = exitCode;
    this.signal = signal;
    this.reason = reason;
    this.stderrTail = stderrTail;
  }
}

/** Runs named jobs off the extension host's event loop (the worker-thread pool, the model process, or both behind one router). */
export interface JobRunner<T extends JobTable> {
  /** Runs job `job` with `input`; resolves with its output. */
  run<N extends keyof T & string>(job: N, input: Parameters<T[N]>[0], options?: RunOptions): Promise<Awaited<ReturnType<T[N]>>>;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onProgress?: (fraction: number, message?: string) => void;
}

interface Slot {
  worker?: Worker;
  pending: Map<number, Pending>;
}

/**
 * A small worker_threads pool: heavy core jobs run off the extension host's event loop. Workers are
 * started on first use (nothing at activation) and a crashed or cancelled worker is replaced.
 */
export class ComputePool<T extends JobTable> implements JobRunner<T> {
  private readonly slots: Slot[];
  private nextId = 1;
  private disposed = false;

  constructor(
    private readonly workerScript: string,
    size = Math.max(1, Math.min(2, availableParallelism())),
  ) {
    this.slots = Array.from({ length: size }, () => ({ pending: new Map<number, Pending>() }));
  }

  /** Number of worker slots. */
  get size(): number {
    return this.slots.length;
  }

  /** Runs job `job` with `input` in a worker; resolves with its output. */
  run<N extends keyof T & string>(job: N, input: Parameters<T[N]>[0], options: RunOptions = {}): Promise<Awaited<ReturnType<T[N]>>> {
    type O = Awaited<ReturnType<T[N]>>;
    if (this.disposed) return Promise.reject(new Error('the compute pool is disposed'));
    if (options.cancel?.isCancellationRequested) return Promise.reject(new JobCancelledError());
    const slotIndex = this.pickSlot(options.affinity, options.prefer);
    const slot = this.slots[slotIndex];
    const worker = this.workerOf(slotIndex);
    const id = this.nextId++;
    return new Promise<O>((resolve, reject) => {
      const subscription = options.cancel?.onCancellationRequested(() => {
        // Terminating rejects every job queued on that worker: they were behind the cancelled one.
        this.restart(slotIndex, new JobCancelledError());
      });
      slot.pending.set(id, {
        resolve: (value) => {
          subscription?.dispose();
          resolve(value as O);
        },
        reject: (error) => {
          subscription?.dispose();
          reject(error);
        },
        onProgress: options.onProgress,
      });
      // Keep the process alive while jobs are pending, not when the pool is idle.
      worker.ref();
      worker.postMessage({ id, job, input });
    });
  }

  private pickSlot(affinity: string | undefined, prefer: string | undefined): number {
    if (affinity !== undefined) return this.slotOfKey(affinity);
    if (prefer !== undefined) {
      const preferred = this.slotOfKey(prefer);
      if (this.slots[preferred].pending.size === 0) return preferred;
    }
    let best = 0;
    for (let i = 1; i < this.slots.length; i++) if (this.slots[i].pending.size < this.slots[best].pending.size) best = i;
    return best;
  }

  private slotOfKey(key: string): number {
    let hash = 0;
    for (let i = 0; i < key.length; i++) hash = (hash * 31 + key.charCodeAt(i)) >>> 0;
    return hash % this.slots.length;
  }

  private workerOf(index: number): Worker {
    const slot = this.slots[index];
    if (slot.worker) return slot.worker;
    const worker = new Worker(this.workerScript);
    worker.on('message', (reply: JobReply) => {
      const pending = slot.pending.get(reply.id);
      if (!pending) return;
      if (reply.kind === 'progress') {
        pending.onProgress?.(reply.fraction, reply.message);
        return;
      }
      slot.pending.delete(reply.id);
      if (slot.pending.size === 0) worker.unref();
      if (reply.kind === 'result') pending.resolve(reply.output);
      else pending.reject(new JobFailedError(reply.name, reply.message, reply.code));
    });
    worker.on('error', (error) => this.restart(index, error));
    worker.on('exit', (code) => {
      if (slot.worker === worker) this.restart(index, new Error(`the compute worker stopped (exit code ${code})`));
    });
    // An idle pool must not keep a process (a test, a script) alive on its own.
    worker.unref();
    slot.worker = worker;
    return worker;
  }

  private restart(index: number, reason: Error): void {
    const slot = this.slots[index];
    const worker = slot.worker;
    slot.worker = undefined;
    const pending = [...slot.pending.values()];
    slot.pending.clear();
    for (const p of pending) p.reject(reason);
    if (worker) void worker.terminate();
  }

  /** Worker threads alive now (started on first use, ended by `releaseIdle`, a cancel or a crash). */
  get liveWorkers(): number {
    return this.slots.filter((slot) => slot.worker !== undefined).length;
  }

  /**
   * Ends the workers that have no job (their caches — vocabularies, tokenizers — go with them; the next job starts a
   * worker again). True when every worker is gone.
   */
  releaseIdle(): boolean {
    for (let i = 0; i < this.slots.length; i++) if (this.slots[i].worker && this.slots[i].pending.size === 0) this.restart(i, new JobCancelledError());
    return this.liveWorkers === 0;
  }

  /** Stops every worker; pending jobs reject. */
  dispose(): void {
    this.disposed = true;
    for (let i = 0; i < this.slots.length; i++) this.restart(i, new Error('the compute pool is disposed'));
  }
}
