// A data-parallel training worker: reads parameters from shared memory, runs forward + backward on the windows
// it is given and writes its gradient sum into its own shared buffer (the main thread adds shards in a fixed order).
import { parentPort, workerData } from 'node:worker_threads';
import { paramLayout, sequenceForwardBackward, type TrainModelConfig } from '../src/core/train/model';
import { shardGradients } from '../src/core/train/batch';
import { useWasmMatmul } from '../src/core/tensor/matmul';

/** What the main thread hands each worker once. */
export interface TrainWorkerData {
  cfg: TrainModelConfig;
  ctx: number;
  params: SharedArrayBuffer;
  grads: SharedArrayBuffer;
  trainTokens: SharedArrayBuffer;
  evalTokens: SharedArrayBuffer;
  /** Matrix kernel: 'wasm' (SIMD) or 'js'. */
  kernel: 'wasm' | 'js';
}

/** A job: training windows (forward + backward) or held-out windows (forward only). */
export type TrainWorkerJob = { kind: 'train'; starts: number[]; gradScale: number } | { kind: 'eval'; starts: number[] };

if (parentPort) {
  const data = workerData as TrainWorkerData;
  if (!useWasmMatmul(data.kernel === 'wasm') && data.kernel === 'wasm') throw new Error('WebAssembly SIMD is not available');
  const layout = paramLayout(data.cfg);
  const params = new Float32Array(data.params);
  const grads = new Float32Array(data.grads);
  const trainTokens = new Int32Array(data.trainTokens);
  const evalTokens = new Int32Array(data.evalTokens);
  const port = parentPort;
  port.on('message', (job: TrainWorkerJob) => {
    if (job.kind === 'train') {
      grads.fill(0);
      const loss = shardGradients(data.cfg, layout, params, grads, trainTokens, job.starts, data.ctx, job.gradScale);
      port.postMessage({ loss });
    } else {
      let loss = 0;
      for (const s of job.starts) {
        loss += sequenceForwardBackward(data.cfg, layout, params, evalTokens.subarray(s, s + data.ctx), evalTokens.subarray(s + 1, s + data.ctx + 1)).lossSum;
      }
      port.postMessage({ loss });
    }
  });
}
