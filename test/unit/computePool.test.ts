import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ComputePool, JobCancelledError, JobFailedError, type CancelSignal } from '../../src/compute/pool';
import type { fixtureJobs } from './fixtures/poolWorker';

const workerScript = join(__dirname, 'fixtures', 'poolWorker.js');

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

test('jobs run in worker threads and return their results, with progress', async () => {
  const pool = new ComputePool<typeof fixtureJobs>(workerScript, 2);
  try {
    const fractions: number[] = [];
    const sum = await pool.run('sumTo', { n: 1000, steps: 4 }, { onProgress: (f) => fractions.push(f) });
    assert.equal(sum, (1000 * 1001) / 2);
    assert.ok(fractions.length >= 1 && fractions.at(-1) === 1, `progress reported: ${fractions}`);
    const threadIds = await Promise.all([pool.run('threadId', undefined), pool.run('threadId', undefined)]);
    assert.notEqual(threadIds[0], 0, 'not the main thread');
    assert.notEqual(threadIds[0], threadIds[1], 'two jobs at once go to two workers');
  } finally {
    pool.dispose();
  }
});

test('a busy job is cancelled by terminating its worker, and the pool keeps working', async () => {
  const pool = new ComputePool<typeof fixtureJobs>(workerScript, 1);
  try {
    const source = cancelSource();
    const started = Date.now();
    const spinning = pool.run('spin', { ms: 20_000 }, { cancel: source.signal });
    setTimeout(() => source.cancel(), 100);
    await assert.rejects(spinning, JobCancelledError);
    assert.ok(Date.now() - started < 5_000, 'cancelled promptly, not after the spin');
    assert.equal(await pool.run('sumTo', { n: 10, steps: 1 }), 55);
  } finally {
    pool.dispose();
  }
});

test('errors thrown in a job reach the caller with their message', async () => {
  const pool = new ComputePool<typeof fixtureJobs>(workerScript, 1);
  try {
    await assert.rejects(pool.run('fail', { message: 'bad input' }), (e: unknown) => e instanceof JobFailedError && e.message === 'bad input');
    // A typed core error keeps its name and code across the thread: callers never match message text.
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

test('jobs with the same affinity key run on the same worker', async () => {
  const pool = new ComputePool<typeof fixtureJobs>(workerScript, 2);
  try {
    const ids = new Set<number>();
    for (let i = 0; i < 4; i++) ids.add(await pool.run('threadId', undefined, { affinity: 'model-a' }));
    assert.equal(ids.size, 1);
  } finally {
    pool.dispose();
  }
});

test('a preferred key runs on its worker while that worker is idle, else on the least busy one', async () => {
  const pool = new ComputePool<typeof fixtureJobs>(workerScript, 2);
  try {
    const home = await pool.run('threadId', undefined, { affinity: 'vocab' });
    // Idle: the preferred worker takes it (its caches are warm).
    for (let i = 0; i < 3; i++) assert.equal(await pool.run('threadId', undefined, { prefer: 'vocab' }), home);
    // Busy with a long job: the other worker takes it, without waiting for the long job.
    const source = cancelSource();
    let spinDone = false;
    const spinning = pool.run('spin', { ms: 20_000 }, { affinity: 'vocab', cancel: source.signal }).finally(() => (spinDone = true));
    const other = await pool.run('threadId', undefined, { prefer: 'vocab' });
    assert.notEqual(other, home);
    assert.equal(spinDone, false, 'answered while the long job still ran, not queued behind it');
    source.cancel();
    await assert.rejects(spinning, JobCancelledError);
  } finally {
    pool.dispose();
  }
});

test('releaseIdle ends the idle workers only; a job still running keeps its worker, and the next job starts one again', async () => {
  const pool = new ComputePool<typeof fixtureJobs>(workerScript, 2);
  try {
    await Promise.all([pool.run('threadId', undefined, { affinity: 'a' }), pool.run('threadId', undefined, { affinity: 'b' })]);
    assert.equal(pool.liveWorkers, 2);
    const busy = pool.run('spin', { ms: 300 });
    assert.equal(pool.releaseIdle(), false, 'one worker is busy');
    assert.equal(pool.liveWorkers, 1);
    assert.equal(await busy, 'finished');
    assert.equal(pool.releaseIdle(), true);
    assert.equal(pool.liveWorkers, 0);
    assert.equal(await pool.run('sumTo', { n: 10, steps: 1 }), 55);
    assert.equal(pool.liveWorkers, 1);
  } finally {
    pool.dispose();
  }
});
