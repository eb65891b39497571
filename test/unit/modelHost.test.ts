import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { JobCancelledError, JobFailedError, ModelProcessDiedError, type CancelSignal } from '../../src/compute/pool';
import { ModelHost } from '../../src/compute/modelHost';
import type { processFixtureJobs } from './fixtures/modelProcess';

const script = join(__dirname, 'fixtures', 'modelProcess.js');

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

test('jobs run in a separate process started as language servers are, and return typed arrays with progress', async () => {
  const host = new ModelHost<typeof processFixtureJobs>({ script, maxOldSpaceMiB: 256 });
  try {
    const who = await host.run('whoAmI', undefined);
    assert.notEqual(who.pid, process.pid);
    assert.equal(who.electronRunAsNode, '1');
    assert.deepEqual(who.execArgv, ['--max-old-space-size=256']);
    const fractions: number[] = [];
    const out = await host.run('squares', { n: 5 }, { onProgress: (f) => fractions.push(f) });
    assert.ok(out instanceof Float32Array);
    assert.deepEqual([...out], [0, 1, 4, 9, 16]);
    assert.deepEqual(fractions, [1]);
    assert.equal(host.processesStarted, 1, 'one process serves every job');
  } finally {
    host.dispose();
  }
});

test('errors keep their name and code across the process boundary', async () => {
  const host = new ModelHost<typeof processFixtureJobs>({ script });
  try {
    await assert.rejects(host.run('failWithCode', { code: 'notFound' }), (e: unknown) => e instanceof JobFailedError && e.name === 'ModelLoadError' && e.code === 'notFound');
  } finally {
    host.dispose();
  }
});

test('a process killed under a job rejects it with modelProcessDied (SIGKILL), and the next job runs in a new process', async () => {
  const host = new ModelHost<typeof processFixtureJobs>({ script });
  try {
    const first = await host.run('whoAmI', undefined);
    await assert.rejects(host.run('killSelf', undefined), (e: unknown) => {
      assert.ok(e instanceof ModelProcessDiedError);
      assert.equal(e.code, 'modelProcessDied');
      assert.equal(e.signal, 'SIGKILL');
      assert.equal(e.reason, 'killed');
      return true;
    });
    const second = await host.run('whoAmI', undefined);
    assert.notEqual(second.pid, first.pid);
    assert.equal(host.processesStarted, 2);
    assert.deepEqual([...(await host.run('squares', { n: 3 }))], [0, 1, 4]);
  } finally {
    host.dispose();
  }
});

test('a heap that outgrows --max-old-space-size ends the process with reason heapLimit, not the caller', async () => {
  const host = new ModelHost<typeof processFixtureJobs>({ script, maxOldSpaceMiB: 48 });
  try {
    await assert.rejects(host.run('exhaustHeap', undefined), (e: unknown) => e instanceof ModelProcessDiedError && e.reason === 'heapLimit');
    assert.equal((await host.run('whoAmI', undefined)).execArgv[0], '--max-old-space-size=48');
  } finally {
    host.dispose();
  }
});

test('cancel is cooperative: the caller is released at once and the process (with its model) stays', async () => {
  const host = new ModelHost<typeof processFixtureJobs>({ script });
  try {
    const { pid } = await host.run('whoAmI', undefined);
    const source = cancelSource();
    const counting = host.run('countUntilCancelled', { maxSteps: 1e9 }, { cancel: source.signal });
    await new Promise((r) => setTimeout(r, 100));
    source.cancel();
    await assert.rejects(counting, JobCancelledError);
    assert.equal((await host.run('whoAmI', undefined)).pid, pid, 'the same process serves the next job');
    assert.equal(host.processesStarted, 1);
  } finally {
    host.dispose();
  }
});

test('with returnOnCancel the job returns what it made when cancelled', async () => {
  const host = new ModelHost<typeof processFixtureJobs>({ script });
  try {
    const source = cancelSource();
    const counting = host.run('countUntilCancelled', { maxSteps: 1e9 }, { cancel: source.signal, returnOnCancel: true });
    await new Promise((r) => setTimeout(r, 200));
    source.cancel();
    const out = await counting;
    assert.equal(out.cancelled, true);
    assert.ok(out.steps > 0 && out.steps < 1e9);
  } finally {
    host.dispose();
  }
});

test('a cancelled job that never checks its signal has its process ended after the grace period; the next job gets a new one', async () => {
  const host = new ModelHost<typeof processFixtureJobs>({ script, cancelGraceMs: 200 });
  try {
    const { pid } = await host.run('whoAmI', undefined);
    const source = cancelSource();
    const spinning = host.run('spin', { ms: 60_000 }, { cancel: source.signal });
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    source.cancel();
    await assert.rejects(spinning, JobCancelledError);
    const next = await host.run('whoAmI', undefined);
    assert.notEqual(next.pid, pid);
    assert.ok(Date.now() - t0 < 30_000, 'not kept waiting for the spinning job');
  } finally {
    host.dispose();
  }
});

test('each job carries the session options the host reads at that moment (the memory budget)', async () => {
  let budget = 1024 * 1024 * 1024;
  const host = new ModelHost<typeof processFixtureJobs>({ script, session: () => ({ maxResidentBytes: budget }) });
  try {
    assert.deepEqual(await host.run('session', undefined), { maxResidentBytes: 1024 ** 3 });
    budget = 64 * 1024 * 1024;
    assert.deepEqual(await host.run('session', undefined), { maxResidentBytes: 64 * 1024 ** 2 });
  } finally {
    host.dispose();
  }
});

test('releaseWhenIdle ends an idle process (the next job starts a new one) but never one with a job in flight', async () => {
  const host = new ModelHost<typeof processFixtureJobs>({ script });
  try {
    const { pid } = await host.run('whoAmI', undefined);
    const source = cancelSource();
    const counting = host.run('countUntilCancelled', { maxSteps: 1e9 }, { cancel: source.signal, returnOnCancel: true });
    assert.equal(host.releaseWhenIdle(), false);
    source.cancel();
    await counting;
    assert.equal(host.releaseWhenIdle(), true);
    assert.equal(host.pid, undefined);
    assert.notEqual((await host.run('whoAmI', undefined)).pid, pid);
  } finally {
    host.dispose();
  }
});
