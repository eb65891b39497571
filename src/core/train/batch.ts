// One data-parallel shard of a training batch: windows of the token stream, forward + backward, summed in order.
import { sequenceForwardBackward, type ParamLayout, type TrainModelConfig } from './model';
import type { Vec } from './ops';

/**
 * Runs forward + backward on the windows tokens[s .. s+ctx] (inputs) / [s+1 .. s+ctx+1] (targets) for each
 * start s, in the given order, accumulating gradients into `grads`. Returns the summed loss.
 * gradScale should be 1 / (tokens in the whole batch) so shards add up to the batch mean.
 */
export function shardGradients(
  cfg: TrainModelConfig, layout: ParamLayout, params: Vec, grads: Vec | undefined,
  tokens: ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> }, starts: readonly number[], ctx: number, gradScale: number,
): number {
  let loss = 0;
  for (const s of starts) {
    const ids = tokens.subarray(s, s + ctx);
    const targets = tokens.subarray(s + 1, s + ctx + 1);
    loss += sequenceForwardBackward(cfg, layout, params, ids, targets, grads, gradScale).lossSum;
  }
  return loss;
}
