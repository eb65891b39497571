// The tokenizer processes (issue 12): tokenizer jobs run in a small pool of separate processes, ended when idle.
import { availableParallelism } from 'node:os';
import { ModelHost, type ModelHostOptions } from './modelHost';
import type { JobRunner, RunOptions } from './pool';
import type { JobTable } from './workerHost';

/** How the pool's processes are started, and when idle ones end by themselves. */
export interface ComputePoolOptions extends ModelHostOptions {
  /**
   * Ends the idle processes once no job was asked for this long (ms), whether or not a panel is open: the status
   * bar alone uses them while the user types. Unset: only `releaseIdle` ends them.
   */
  idleReleaseMs?: number;
}

/**
 * The tokenizer processes: a small pool of separate Node processes (two at most, one per core), each a ModelHost of
 * its own, started on first use and picked by affinity so a vocabulary stays in one process. Tokenizer work used
 * to run in worker threads of the extension host, but what a thread allocates (vocabularies: ~35 MB each) stays in
 * the host after the thread ends — glibc keeps the arenas of ended threads (malloc(3), "arenas"; mallopt
 * M_ARENA_MAX) — while a process gives all of its memory back to the system when it exits (issue 12). A job that
 * crashes or exhausts memory takes only its process down; its callers get ModelProcessDiedError.
 */
export class ComputePool<T extends JobTable> implements JobRunner<T> {
  private readonly slots: ModelHost<T>[];
  private disposed = false;
  /** Jobs whose callers still wait. */
  private waiting = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ComputePoolOptions, size = Math.max(1, Math.min(2, availableParallelism()))) {
    this.slots = Array.from({ length: size }, () => new ModelHost<T>(options));
  }

  /** Number of process slots. */
  get size(): number {
    return this.slots.length;
  }

  /** Runs job `job` with `input` in one of the processes; resolves with its output. */
  run<N extends keyof T & string>(job: N, input: Parameters<T[N]>[0], options: RunOptions = {}): Promise<Awaited<ReturnType<T[N]>>> {
    if (this.disposed) return Promise.reject(new Error('the compute pool is disposed'));
    clearTimeout(this.idleTimer);
    const result = this.slots[this.pickSlot(options.affinity, options.prefer)].run(job, input, options);
    this.waiting++;
    const settled = (): void => {
      this.waiting--;
      this.releaseWhenIdleFor();
    };
    result.then(settled, settled);
    return result;
  }

  /** With `idleReleaseMs`: ends the idle processes once no job has been asked for that long. */
  private releaseWhenIdleFor(): void {
    const ms = this.options.idleReleaseMs;
    if (ms === undefined || this.waiting > 0 || this.disposed) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.waiting === 0) this.releaseIdle();
    }, ms);
    // The timer alone must not keep the extension host (or a test) alive.
    this.idleTimer.unref();
  }

  private pickSlot(affinity: string | undefined, prefer: string | undefined): number {
    if (affinity !== undefined) return this.slotOfKey(affinity);
    if (prefer !== undefined) {
      const preferred = this.slotOfKey(prefer);
      if (this.slots[preferred].busy === 0) return preferred;
    }
    let best = 0;
    for (let i = 1; i < this.slots.length; i++) if (this.slots[i].busy < this.slots[best].busy) best = i;
    return best;
  }

  private slotOfKey(key: string): number {
    let hash = 0;
    for (let i = 0; i < key.length; i++) hash = (hash * 31 + key.charCodeAt(i)) >>> 0;
    return hash % this.slots.length;
  }

  /** Processes alive now (started on first use, ended by `releaseIdle`, a cancelled job that did not stop, or a crash). */
  get liveProcesses(): number {
    return this.slots.filter((slot) => slot.running).length;
  }

  /** The live processes' ids (tests check they are gone). */
  get pids(): number[] {
    return this.slots.map((slot) => slot.pid).filter((pid): pid is number => pid !== undefined);
  }

  /**
   * Ends the processes that have no job in flight (their caches — vocabularies, tokenizers — go with them, and
   * their memory goes back to the system; the next job starts a process again). True when every process is gone.
   */
  releaseIdle(): boolean {
    for (const slot of this.slots) slot.releaseWhenIdle();
    return this.liveProcesses === 0;
  }

  /** Stops every process; pending jobs reject. */
  dispose(): void {
    this.disposed = true;
    clearTimeout(this.idleTimer);
    for (const slot of this.slots) slot.dispose();
  }
}
