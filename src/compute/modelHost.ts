// The model host: model jobs (loading a model, forward passes, decoding) run in a separate process, so running
// out of memory or a native crash there cannot take the extension host (and every other extension) down. The
// process is started as language servers are: vscode-languageclient's node client (client/src/node/main.ts in
// microsoft/vscode-languageserver-node) calls cp.fork(module, args, { execArgv, env, silent: true }) with the
// environment copied and ELECTRON_RUN_AS_NODE=1, which makes VS Code's Electron binary (process.execPath) run as
// plain Node. In code-server process.execPath is Node itself and the variable is ignored.
import { fork, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { JobCancelledError, JobFailedError, ModelProcessDiedError, type JobRunner, type RunOptions } from './pool';
import type { HostMessage } from './processServer';
import type { SessionOptions } from './modelSession';
import type { JobReply, JobTable } from './workerHost';

/** How the model process is started. */
export interface ModelHostOptions {
  /** The process's entry (dist/modelHost.js). */
  script: string;
  /** V8's old-space limit of the process in MiB (--max-old-space-size); the weights themselves live outside it. */
  maxOldSpaceMiB?: number;
  /** Read before each job: the options sent with it (the memory budget). */
  session?: () => SessionOptions;
  /** How long a cancelled job may take to stop by itself before its process is ended (ms). */
  cancelGraceMs?: number;
  /** Extra environment for the process (tests). */
  env?: Record<string, string>;
  /** What the process is called in error messages and logs ('model process' unless said otherwise). */
  name?: string;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onProgress?: (fraction: number, message?: string) => void;
  /** Cancel was asked for (a job killed in its grace period then rejects as cancelled, not as a crash). */
  cancelled: boolean;
  /** What was sent, to send it again to a new process when the old one is ended under it. */
  request: { job: string; input: unknown };
  /** Unsubscribes from the caller's cancel signal. */
  dispose(): void;
}

interface Running {
  child: ChildProcess;
  /** Jobs sent and not answered yet, including cancelled ones whose caller no longer waits. */
  inFlight: Set<number>;
  pending: Map<number, Pending>;
  stderr: string;
  /** Set when the host ended the process itself (dispose, or a cancelled job that did not stop). */
  endedByHost?: 'dispose' | 'cancel';
}

/** Bytes of the process's stderr kept for the error report. */
const STDERR_TAIL = 4096;

/**
 * Runs jobs in one separate Node process (started on the first job, restarted after it dies), with the pool's
 * typed `run(name, input, { cancel, onProgress })`. If the process dies, its pending jobs reject with
 * ModelProcessDiedError (code 'modelProcessDied') and the next job starts a new process.
 */
export class ModelHost<T extends JobTable> implements JobRunner<T> {
  private current: Running | undefined;
  private nextId = 1;
  private disposed = false;
  private started = 0;

  constructor(private readonly options: ModelHostOptions) {}

  private get name(): string {
    return this.options.name ?? 'model process';
  }

  /** How many processes were started so far (tests: a crash is followed by a new process). */
  get processesStarted(): number {
    return this.started;
  }

  /** The live process's id, if one runs. */
  get pid(): number | undefined {
    return this.current?.child.pid;
  }

  /** Runs job `job` with `input` in the model process; resolves with its output. */
  run<N extends keyof T & string>(job: N, input: Parameters<T[N]>[0], options: RunOptions = {}): Promise<Awaited<ReturnType<T[N]>>> {
    type O = Awaited<ReturnType<T[N]>>;
    if (this.disposed) return Promise.reject(new Error('the model host is disposed'));
    if (options.cancel?.isCancellationRequested) return Promise.reject(new JobCancelledError());
    const running = this.processOf();
    const id = this.nextId++;
    return new Promise<O>((resolve, reject) => {
      const entry: Pending = {
        resolve: (value) => {
          entry.dispose();
          resolve(value as O);
        },
        reject: (error) => {
          entry.dispose();
          reject(error);
        },
        onProgress: options.onProgress,
        cancelled: false,
        request: { job, input },
        dispose: () => undefined,
      };
      const subscription = options.cancel?.onCancellationRequested(() => this.cancel(id, entry, options.returnOnCancel === true));
      if (subscription) entry.dispose = () => subscription.dispose();
      this.send(running, id, entry);
    });
  }

  private send(running: Running, id: number, entry: Pending): void {
    running.pending.set(id, entry);
    running.inFlight.add(id);
    // Keep the extension host (or a test script) alive only while jobs are pending.
    running.child.ref();
    running.child.channel?.ref();
    const message: HostMessage = { kind: 'run', request: { id, job: entry.request.job, input: entry.request.input }, session: this.options.session?.() ?? {} };
    running.child.send(message, (error) => {
      // A process that died before reading the job: its exit handler rejects it.
      if (error) console.warn(`[LLM Lens] could not send a job to the ${this.name}: ${error.message}`);
    });
  }

  /** Ends the process (its model is released); the next job starts a new one. Pending jobs reject as cancelled. */
  release(): void {
    if (this.current) this.end(this.current, 'cancel');
  }

  /** True while a model process runs. */
  get running(): boolean {
    return this.current !== undefined;
  }

  /** Jobs sent to the process and not answered yet (cancelled ones still running included). */
  get busy(): number {
    return this.current?.inFlight.size ?? 0;
  }

  /** Ends the process if no job is in flight (nothing is lost but the loaded model); true when it did. */
  releaseWhenIdle(): boolean {
    if (!this.current || this.current.inFlight.size > 0) return false;
    this.release();
    return true;
  }

  /** Ends the process; pending jobs reject. */
  dispose(): void {
    this.disposed = true;
    if (this.current) this.end(this.current, 'dispose');
  }

  private cancel(id: number, entry: Pending, returnOnCancel: boolean): void {
    entry.cancelled = true;
    const running = this.current;
    if (!running || !running.inFlight.has(id)) return;
    running.child.send({ kind: 'cancel', id } satisfies HostMessage, () => undefined);
    if (!returnOnCancel) {
      // The caller moves on at once; the job's late reply is dropped.
      running.pending.delete(id);
      entry.reject(new JobCancelledError());
    }
    // A job busy in one long step (a huge layer) keeps the process, its memory and the jobs queued behind it
    // waiting: when it has not stopped in time, end the process and send the other jobs to a new one (jobs only
    // read the model, so running them again is safe; the model is loaded again there).
    const timer = setTimeout(() => {
      if (this.current !== running || !running.inFlight.has(id)) return;
      const others = [...running.pending.entries()].filter(([other, p]) => other !== id && !p.cancelled);
      for (const [other] of others) running.pending.delete(other);
      this.end(running, 'cancel');
      if (others.length === 0 || this.disposed) return;
      const next = this.processOf();
      for (const [other, p] of others) this.send(next, other, p);
    }, this.options.cancelGraceMs ?? 3000);
    timer.unref();
  }

  private end(running: Running, why: 'dispose' | 'cancel'): void {
    running.endedByHost = why;
    this.settleAll(running, () => (why === 'dispose' ? new Error('the model host is disposed') : new JobCancelledError()));
    if (this.current === running) this.current = undefined;
    running.child.kill();
  }

  private settleAll(running: Running, error: (p: Pending) => Error): void {
    const pending = [...running.pending.values()];
    running.pending.clear();
    running.inFlight.clear();
    for (const p of pending) p.reject(error(p));
  }

  private processOf(): Running {
    if (this.current) return this.current;
    const heap = this.options.maxOldSpaceMiB;
    const child = fork(this.options.script, [], {
      execPath: process.execPath,
      // Not the extension host's own flags (inspector ports, Electron switches): only the heap limit.
      execArgv: heap !== undefined ? [`--max-old-space-size=${Math.round(heap)}`] : [],
      env: { ...process.env, ...this.options.env, ELECTRON_RUN_AS_NODE: '1' },
      // Not the workspace: a crash's core file (where the system writes them to the working folder) must never
      // land among the user's files. Every path the jobs read is absolute.
      cwd: tmpdir(),
      // Typed arrays cross as typed arrays (the structured clone algorithm), not as JSON.
      serialization: 'advanced',
      // stdout and stderr are piped, not inherited: the stderr tail explains a crash.
      silent: true,
    });
    this.started++;
    const running: Running = { child, inFlight: new Set(), pending: new Map(), stderr: '' };
    this.current = running;
    const keepTail = (chunk: Buffer): void => {
      running.stderr = (running.stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
    };
    child.stderr?.on('data', keepTail);
    child.stdout?.on('data', keepTail);
    child.on('message', (reply: JobReply) => this.receive(running, reply));
    child.on('error', (error) => {
      // Failed to start (or to signal): nothing will answer, so fail what waits.
      if (this.current === running) this.current = undefined;
      this.settleAll(running, () => new JobFailedError('ModelProcessError', `the ${this.name} could not start: ${error.message}`, 'modelProcessDied'));
    });
    child.on('exit', (code, signal) => {
      if (this.current === running) this.current = undefined;
      if (running.endedByHost) return;
      if (running.pending.size > 0) console.warn(`[LLM Lens] the ${this.name} stopped (code ${code}, signal ${signal}); stderr:\n${running.stderr}`);
      this.settleAll(running, (p) => (p.cancelled ? new JobCancelledError() : new ModelProcessDiedError(code, signal, running.stderr, this.name)));
    });
    // An idle process must not keep the extension host (or a test) from exiting.
    child.unref();
    child.channel?.unref();
    return running;
  }

  private receive(running: Running, reply: JobReply): void {
    if (reply.kind !== 'progress') running.inFlight.delete(reply.id);
    const pending = running.pending.get(reply.id);
    if (running.inFlight.size === 0) {
      running.child.unref();
      running.child.channel?.unref();
    }
    if (!pending) return;
    if (reply.kind === 'progress') {
      pending.onProgress?.(reply.fraction, reply.message);
      return;
    }
    running.pending.delete(reply.id);
    if (reply.kind === 'result') pending.resolve(reply.output);
    else if (pending.cancelled && reply.name === 'AttentionCancelledError') pending.reject(new JobCancelledError());
    else pending.reject(new JobFailedError(reply.name, reply.message, reply.code));
  }
}
