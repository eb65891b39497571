// The host's own stall and memory numbers (issue 12): the recorder sees a blocked event loop, and a reset starts over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HostStatsRecorder } from '../../src/compute/hostStats';

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Keeps this thread busy until it has used `ms` of CPU (the stall the recorder must see; a loaded machine stretches its wall time). */
function block(ms: number): void {
  const cpuMs = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const end = cpuMs() + ms;
  while (cpuMs() < end) {
    // Busy on purpose, once, for a bounded time.
  }
}

test('a 300 ms block shows as a stall of about 300 ms in every reading (loop delay, heartbeat, busy CPU); a reset forgets it', async () => {
  const recorder = new HostStatsRecorder(() => ({ modelProcessPid: 42, tokenizerProcessPids: [43] }));
  try {
    await wait(50);
    block(300);
    await wait(50);
    const blocked = recorder.read();
    assert.ok(blocked.eventLoop.maxMs >= 290, `loop delay ${blocked.eventLoop.maxMs} ms`);
    assert.ok(blocked.heartbeatMaxStallMs >= 280, `heartbeat ${blocked.heartbeatMaxStallMs} ms`);
    assert.ok(blocked.eventLoop.samples > 0);
    // The block was this thread's own work: its CPU time shows it (Linux and Node ≥ 23.9 can read it).
    if (blocked.maxBusyMs !== undefined) assert.ok(blocked.maxBusyMs >= 270, `busy ${blocked.maxBusyMs} ms`);
    assert.equal(blocked.modelProcessPid, 42);
    assert.deepEqual(blocked.tokenizerProcessPids, [43]);
    assert.ok(blocked.rss > 0 && blocked.rssAtStart > 0 && blocked.heapUsed > 0);
    recorder.reset();
    await wait(100);
    const calm = recorder.read();
    assert.ok(calm.eventLoop.maxMs < 290, `after the reset: ${calm.eventLoop.maxMs} ms`);
    assert.ok(calm.heartbeatMaxStallMs < 280, `after the reset: heartbeat ${calm.heartbeatMaxStallMs} ms`);
    if (calm.maxBusyMs !== undefined) assert.ok(calm.maxBusyMs < 250, `after the reset: busy ${calm.maxBusyMs} ms`);
    assert.ok(calm.sinceMs >= 90 && calm.sinceMs < blocked.sinceMs + 1000);
  } finally {
    recorder.dispose();
  }
});
