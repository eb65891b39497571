import type { JobTable } from './workerHost';

/** Something that can say it was cancelled (vscode.CancellationToken fits). */
export interface CancelSignal {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}

/** Options of one job run. */
export interface RunOptions {
  /** Progress from the job. */
  onProgress?: (fraction: number, message?: string) => void;
  /**
   * Cancels the job: the caller is released at once, the job is told to stop (model jobs check between layers)
   * and its process is ended only if it does not stop soon (see ModelHost).
   */
  cancel?: CancelSignal;
  /**
   * Model-process jobs only: on cancel, wait for the job's own result (a job that checks its signal returns
   * what it made so far, as decoding does) instead of rejecting at once with JobCancelledError.
   */
  returnOnCancel?: boolean;
  /**
   * Pool jobs: jobs with the same key run in the same process, so caches there (vocabularies) are reused.
   * Without a key the least busy process is used.
   */
  affinity?: string;
  /**
   * A softer affinity: the job runs in that key's process when it is idle (its caches are warm), else in
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
 * The error a job rejects with when its process (the model process, a tokenizer process) ended under it: out of
 * memory (the kernel's out-of-memory killer or V8's heap limit), a native crash, or an exit. The extension host
 * lives on and the next job starts a new process. `code` is 'modelProcessDied' for either kind.
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

  constructor(exitCode: number | null, signal: string | null, stderrTail: string, processName = 'model process') {
    const reason = /heap out of memory|Reached heap limit/i.test(stderrTail) ? 'heapLimit' : signal === 'SIGKILL' ? 'killed' : signal !== null ? 'crash' : 'exit';
    const how = signal !== null ? `signal ${signal}` : `exit code ${exitCode}`;
    super('ModelProcessDiedError', `the ${processName} stopped (${how}${reason === 'heapLimit' ? ', JavaScript heap limit reached' : ''})`, 'modelProcessDied');
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
