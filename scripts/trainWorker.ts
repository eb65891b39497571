// A data-parallel training worker: reads parameters from shared memory, runs forward + backward on the windows
// it is given and writes its gradient sum into its own shared buffer (the main thread adds shards in a fixed order).
import { parentPort, workerData } from 'node:worker_threads';
import { paramLayout, sequenceForwardBackward, type TrainModelConfig } from '../src/core/train/model';
import { useWasmMatmul } from '../src/core/tensor/matmul';

/** What the main thread hands each worker once. */
export interface TrainWorkerData {
  cfg: TrainModelConfig;
  ctx: number;
  params: SharedArrayBuffer;
  grads: SharedArrayBuffer;
  evalTokens: SharedArrayBuffer;
  /** Matrix kernel: 'wasm' (SIMD) or 'js'. */
  kernel: 'wasm' | 'js';
}

/**
 * A job: training windows (forward + backward; inputs and targets, a target of −1 is not scored, drawn by the
 * main thread so the data mix follows one seeded generator) or held-out windows (forward only).
 */
export type TrainWorkerJob = { kind: 'train'; ids: Int32Array[]; targets: Int32Array[]; gradScale: number } | { kind: 'eval'; starts: number[] };

/** A worker's answer: summed loss, scored positions and (MoE) summed load-balancing loss. */
export interface TrainWorkerReply {
  loss: number;
  counted: number;
  aux: number;
}

if (parentPort) {
  const data = workerData as TrainWorkerData;
  if (!useWasmMatmul(data.kernel === 'wasm') && data.kernel === 'wasm') throw new Error('WebAssembly SIMD is not available');
  const layout = paramLayout(data.cfg);
  const params = new Float32Array(data.params);
  const grads = new Float32Array(data.grads);
  const evalTokens = new Int32Array(data.evalTokens);
  const port = parentPort;
  port.on('message', (job: TrainWorkerJob) => {
    const reply: TrainWorkerReply = { loss: 0, counted: 0, aux: 0 };
    if (job.kind === 'train') {
      grads.fill(0);
      job.ids.forEach((ids, i) => {
        const r = sequenceForwardBackward(data.cfg, layout, params, ids, job.targets[i], grads, job.gradScale);
        reply.loss += r.lossSum;
        reply.counted += r.counted;
        reply.aux += r.auxLoss ?? 0;
      });
    } else {
      for (const s of job.starts) {
        const r = sequenceForwardBackward(data.cfg, layout, params, evalTokens.subarray(s, s + data.ctx), evalTokens.subarray(s + 1, s + data.ctx + 1));
        reply.loss += r.lossSum;
        reply.counted += r.counted;
        reply.aux += r.auxLoss ?? 0;
      }
    }
    port.postMessage(reply);
  });
}
