// Benchmarks the model process (issue 14): what running model jobs in a separate process costs the extension host.
//   1. start: fork dist/modelHost.js as ModelHost does and wait for the first reply (median of 5);
//   2. a result crossing the process boundary: a job's output of N MiB of Float32Arrays (Node IPC, 'advanced'
//      serialization), wall time and the longest event-loop stall of the receiving side (which plays the host).
// Prints `name: value unit` lines. Run after `node scripts/build.mjs`.
import { fork } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function start(script) {
  return fork(script, [], {
    execPath: process.execPath, execArgv: ['--max-old-space-size=1024'], serialization: 'advanced', silent: true,
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  });
}

function reply(child, id) {
  return new Promise((resolve) => {
    const on = (m) => {
      if (m.id === id && m.kind !== 'progress') {
        child.off('message', on);
        resolve(m);
      }
    };
    child.on('message', on);
  });
}

// 1. Start-up: fork to the first answered job (an unknown job name: the reply is an error, the round trip is real).
{
  const times = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const child = start(join(root, 'dist', 'modelHost.js'));
    const answered = reply(child, 1);
    child.send({ kind: 'run', request: { id: 1, job: 'noSuchJob', input: null }, session: {} });
    await answered;
    times.push(performance.now() - t0);
    child.kill();
  }
  console.log(`model process start to first reply (median of 5): ${median(times).toFixed(0)} ms`);
}

// 2. A result of N MiB crossing from the process to this one (the host side), with this side's longest stall.
{
  const dir = mkdtempSync(join(tmpdir(), 'llm-lens-bench-host-'));
  const script = join(dir, 'sender.cjs');
  writeFileSync(script, `process.on('message', (m) => {
    const arrays = Array.from({ length: 16 }, (_, i) => new Float32Array(m.mib * 2 ** 18 / 16).fill(i));
    process.send({ id: m.id, kind: 'result', output: { arrays } });
  });`);
  const child = start(script);
  for (const size of [4, 16, 64]) {
    const walls = [];
    const stalls = [];
    for (let i = 0; i < 3; i++) {
      let last = performance.now();
      let maxGap = 0;
      const ticker = setInterval(() => {
        const now = performance.now();
        maxGap = Math.max(maxGap, now - last);
        last = now;
      }, 2);
      const t0 = performance.now();
      const answered = reply(child, i + 1);
      child.send({ id: i + 1, mib: size });
      const m = await answered;
      walls.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 10));
      clearInterval(ticker);
      stalls.push(maxGap);
      if (m.output.arrays[3][7] !== 3) throw new Error('wrong data');
    }
    console.log(`model process result of ${size} MiB to the host (median of 3): ${median(walls).toFixed(0)} ms, longest host event-loop stall ${median(stalls).toFixed(0)} ms`);
  }
  child.kill();
  rmSync(dir, { recursive: true, force: true });
}
