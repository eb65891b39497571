import { parentPort } from 'node:worker_threads';

/** Reports progress of the running job: a fraction in [0, 1] and an optional message. */
export type ReportProgress = (fraction: number, message?: string) => void;

/** What a running job can ask about its run: whether the caller cancelled it (cooperative cancel). */
export interface JobSignal {
  /** True once the caller asked to cancel: a job that checks it returns or throws early. */
  isCancelled(): boolean;
}

/** A job handler: runs in a worker thread or the model process, may be synchronous and CPU-heavy. */
export type JobHandler<I, O> = (input: I, progress: ReportProgress, signal: JobSignal) => O | Promise<O>;

/** A map of job names to handlers. */
export type JobTable = Record<string, JobHandler<never, unknown>>;

/** A message the pool sends a worker. */
export interface JobRequest {
  /** Unique id of the job within the pool. */
  id: number;
  /** The job's name in the worker's table. */
  job: string;
  /** The job's input (structured-cloned). */
  input: unknown;
}

/** A message a worker sends the pool. */
export type JobReply =
  | { id: number; kind: 'progress'; fraction: number; message?: string }
  | { id: number; kind: 'result'; output: unknown }
  | { id: number; kind: 'error'; name: string; message: string; code?: string };

const transferLists = new WeakMap<object, ArrayBuffer[]>();

/**
 * Marks buffers of a job's output to be moved to the pool instead of copied: receiving a copy of tens of
 * megabytes stalls the extension host's event loop for 100+ ms, a move costs ~1 ms. The worker must not
 * use those buffers afterwards (never pass cached data such as model weights).
 */
export function transferWith<T extends object>(output: T, buffers: ArrayBuffer[]): T {
  transferLists.set(output, [...new Set(buffers)]);
  return output;
}

/** The buffers `transferWith` marked on `output`, if any. */
export function transferListOf(output: unknown): ArrayBuffer[] | undefined {
  return typeof output === 'object' && output !== null ? transferLists.get(output) : undefined;
}

/**
 * Runs one request against `jobs` and posts its progress and its result or error through `post` (shared by
 * the worker threads and the model process, so both speak the same replies).
 */
export async function runRequest(
  jobs: JobTable,
  request: JobRequest,
  signal: JobSignal,
  post: (reply: JobReply, transfer?: ArrayBuffer[]) => void,
): Promise<void> {
  const handler = Object.prototype.hasOwnProperty.call(jobs, request.job) ? (jobs[request.job] as JobHandler<unknown, unknown>) : undefined;
  try {
    if (!handler) throw new Error(`unknown job "${request.job}"`);
    let lastPost = 0;
    const progress: ReportProgress = (fraction, message) => {
      const now = Date.now();
      // Throttled: progress is for people, 20 updates a second is plenty.
      if (now - lastPost < 50 && fraction < 1) return;
      lastPost = now;
      post({ id: request.id, kind: 'progress', fraction, message });
    };
    const output = await handler(request.input, progress, signal);
    post({ id: request.id, kind: 'result', output }, transferListOf(output));
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    // Typed core errors (ModelLoadError, TokenizerError, …) keep their machine-readable code across the boundary.
    const code = (e as { code?: unknown }).code;
    post({ id: request.id, kind: 'error', name: e.name, message: e.message, code: typeof code === 'string' ? code : undefined });
  }
}

/** Never cancelled: in a worker thread, Cancel terminates the thread instead. */
const notCancelled: JobSignal = { isCancelled: () => false };

/** Serves `jobs` in this worker thread: results or errors posted back. */
export function serveJobs(jobs: JobTable): void {
  const port = parentPort;
  if (!port) throw new Error('serveJobs must run in a worker thread');
  port.on('message', (request: JobRequest) => {
    void runRequest(jobs, request, notCancelled, (reply, transfer) => port.postMessage(reply, transfer ?? []));
  });
}
