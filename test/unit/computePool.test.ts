import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { JobCancelledError, JobFailedError, ModelProcessDiedError, type CancelSignal } from '../../src/compute/pool';
import { ComputePool } from '../../src/compute/processPool';
import type { fixtureJobs } from './fixtures/poolProcess';
import { processAlive } from '../support/processes';

const script = join(__dirname, 'fixtures', 'poolProcess.js');
/** As the extension starts its tokenizer processes (a cancelled job that does not stop ends its process after 1 s). */
const options = { script, name: 'tokenizer process', cancelGraceMs: 1000 };

/** Waits until `pid` has exited (at most 5 s). */
async function exited(pid: number): Promise<boolean> {
  for (const end = Date.now() + 5000; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) if (!processAlive(pid)) return true;
  return false;
}

/** A cancel signal the test fires by hand (the extension passes a vscode.CancellationToken). */
function cancelSource(): { signal: CancelSignal; cancel(): void } {
  const listeners: (() => void)[] = [];
  let cancelled = false;
  return {
    signal: {
      get isCancellationRequested() {
        return cancelled;
      },
      onCancellationRequested(listener) {
        listeners.push(listener);
        return { dispose: () => listeners.splice(listeners.indexOf(listener), 1) };
      },
    },
    cancel() {
      cancelled = true;
      for (const l of [...listeners]) l();
    },
  };
}

test('jobs run in separate processes and return their results, with progress', async () => {
  const pool = new ComputePool<typeof fixtureJobs>(options, 2);
  try {
    const fractions: number[] = [];
    const sum = await pool.run('sumTo', { n: 1000, steps: 4 }, { onProgress: (f) => fractions.push(f) });
    assert.equal(sum, (1000 * 1001) / 2);
    assert.ok(fractions.length >= 1 && fractions.at(-1) === 1, `progress reported: ${fractions}`);
    const pids = await Promise.all([pool.run('pid', undefined), pool.run('pid', undefined)]);
    assert.notEqual(pids[0], process.pid, 'not this process');
    assert.notEqual(pids[0], pids[1], 'two jobs at once go to two processes');
    assert.deepEqual(new Set(pool.pids), new Set(pids));
  } finally {
    pool.dispose();
  }
});

test('a busy job is cancelled at once for its caller; its process is ended when it does not stop, and a job queued behind it runs in a new one', async () => {
  const pool = new ComputePool<typeof fixtureJobs>(options, 1);
  try {
    const first = await pool.run('pid', undefined);
    const source = cancelSource();
    const started = Date.now();
    const spinning = pool.run('spin', { ms: 20_000 }, { cancel: source.signal });
    setTimeout(() => source.cancel(), 100);
    await assert.rejects(spinning, JobCancelledError);
    assert.ok(Date.now() - started < 1_000, 'the caller is released at once, not after the spin');
    // Queued behind the spin in the same process: sent again to a new process once the old one is ended.
    assert.equal(await pool.run('sumTo', { n: 10, steps: 1 }), 55);
    assert.ok(Date.now() - started < 5_000, 'the queued job ran after the grace period, not after the spin');
    assert.ok(await exited(first), 'the process of the spin is gone');
    assert.notEqual(await pool.run('pid', undefined), first);
  } finally {
    pool.dispose();
  }
});

test('errors thrown in a job reach the caller with their message', async () => {
  const pool = new ComputePool<typeof fixtureJobs>(options, 1);
  try {
    await assert.rejects(pool.run('fail', { message: 'bad input' }), (e: unknown) => e instanceof JobFailedError && e.message === 'bad input');
    // A typed core error keeps its name and code across the process boundary: callers never match message text.
    await assert.rejects(
      pool.run('failWithCode', { code: 'embeddedNotBuilt' }),
      (e: unknown) => e instanceof JobFailedError && e.name === 'TokenizerError' && e.code === 'embeddedNotBuilt',
    );
    await assert.rejects(pool.run('fail', { message: 'plain' }), (e: unknown) => e instanceof JobFailedError && e.code === undefined);
    assert.equal(await pool.run('sumTo', { n: 3, steps: 1 }), 6);
  } finally {
    pool.dispose();
  }
});

test('a process that dies under a job rejects it with modelProcessDied, naming the tokenizer process; the next job runs in a new one', async () => {
  const pool = new ComputePool<typeof fixtureJobs>(options, 1);
  try {
    const first = await pool.run('pid', undefined);
    await assert.rejects(pool.run('killSelf', undefined), (e: unknown) => {
      assert.ok(e instanceof ModelProcessDiedError);
      assert.equal(e.code, 'modelProcessDied');
      assert.equal(e.signal, 'SIGKILL');
      assert.match(e.message, /^the tokenizer process stopped/);
      return true;
    });
    const second = await pool.run('pid', undefined);
    assert.notEqual(second, first);
  } finally {
    pool.dispose();
  }
});

test('jobs with the same affinity key run in the same process', async () => {
  const pool = new ComputePool<typeof fixtureJobs>(options, 2);
  try {
    const ids = new Set<number>();
    for (let i = 0; i < 4; i++) ids.add(await pool.run('pid', undefined, { affinity: 'model-a' }));
    assert.equal(ids.size, 1);
  } finally {
    pool.dispose();
  }
});

test('a preferred key runs in its process while that process is idle, else in the least busy one', async () => {
  const pool = new ComputePool<typeof fixtureJobs>(options, 2);
  try {
    const home = await pool.run('pid', undefined, { affinity: 'vocab' });
    // Idle: the preferred process takes it (its caches are warm).
    for (let i = 0; i < 3; i++) assert.equal(await pool.run('pid', undefined, { prefer: 'vocab' }), home);
    // Busy with a long job: the other process takes it, without waiting for the long job.
    const source = cancelSource();
    let spinDone = false;
    const spinning = pool.run('spin', { ms: 20_000 }, { affinity: 'vocab', cancel: source.signal }).finally(() => (spinDone = true));
    const other = await pool.run('pid', undefined, { prefer: 'vocab' });
    assert.notEqual(other, home);
    assert.equal(spinDone, false, 'answered while the long job still ran, not queued behind it');
    source.cancel();
    await assert.rejects(spinning, JobCancelledError);
  } finally {
    pool.dispose();
  }
});

test('releaseIdle ends the idle processes only (they exit); a job still running keeps its process, and the next job starts one again', async () => {
  const pool = new ComputePool<typeof fixtureJobs>(options, 2);
  try {
    const pids = await Promise.all([pool.run('pid', undefined, { affinity: 'a' }), pool.run('pid', undefined, { affinity: 'b' })]);
    assert.equal(new Set(pids).size, 2, 'keys a and b live in different processes');
    assert.equal(pool.liveProcesses, 2);
    const busy = pool.run('spin', { ms: 300 });
    assert.equal(pool.releaseIdle(), false, 'one process is busy');
    assert.equal(pool.liveProcesses, 1);
    assert.equal(await busy, 'finished');
    assert.equal(pool.releaseIdle(), true);
    assert.equal(pool.liveProcesses, 0);
    for (const pid of pids) assert.ok(await exited(pid), `process ${pid} exited`);
    assert.equal(await pool.run('sumTo', { n: 10, steps: 1 }), 55);
    assert.equal(pool.liveProcesses, 1);
  } finally {
    pool.dispose();
  }
});

test('with idleReleaseMs the processes end once no job was asked for that long, and a job in between keeps them', async () => {
  const pool = new ComputePool<typeof fixtureJobs>({ ...options, idleReleaseMs: 400 }, 1);
  try {
    const first = await pool.run('pid', undefined);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await pool.run('pid', undefined), first, 'a job within the idle time runs in the same process');
    assert.equal(pool.liveProcesses, 1);
    assert.ok(await exited(first), 'ended after 400 ms without a job');
    assert.equal(pool.liveProcesses, 0);
    assert.notEqual(await pool.run('pid', undefined), first, 'the next job starts a new process');
  } finally {
    pool.dispose();
  }
});
