// One forward pass of a real model for the Concept Lab (issue 20): the runtime's hooks capture one layer's q and
// k before RoPE (qkPreRope), the residual vector entering that layer (residual after the layer before it, or the
// scaled embedding for layer 0), and the MLP's gate and up (mlp); the concept functions turn them into numbers.
import type { Model } from '../model/load';
import { forward } from '../model/runtime';
import { weightRow } from '../tensor/weights';
import { gateSparsity, histogram, normStats, swigluToken, type Histogram, type NormStats, type SwigluToken } from './normMlp';
import { qkByDistance, type QkByDistance } from './qkDistance';

/** What the lab shows of one layer on a text. */
export interface ConceptProbe {
  layer: number;
  head: number;
  token: number;
  /** RoPE models only (undefined for learned positions, e.g. GPT-2). */
  qk?: QkByDistance;
  /** The residual vector entering `layer` at `token`, through the layer's first norm (RMSNorm or LayerNorm). */
  norm: NormStats;
  normKind: 'rms' | 'layer';
  /** Gated MLPs only (SwiGLU or GeGLU); undefined for GPT-2's ungated GELU MLP or a mixture-of-experts layer. */
  mlp?: {
    activation: 'silu' | 'gelu';
    token: SwigluToken;
    /** Every gate value of the layer on this text (all tokens × intermediate). */
    gateHistogram: Histogram;
    sparsity: { negative: number; small: number };
  };
}

/** Runs `model` on `ids` and reads layer `layer` (query head `head`, token `token`). */
export async function probeConcepts(
  model: Model, ids: readonly number[], opts: { layer: number; head: number; token: number; probe?: number; isCancelled?: () => boolean },
): Promise<ConceptProbe> {
  const c = model.config;
  const { layer, head } = opts;
  if (!Number.isInteger(layer) || layer < 0 || layer >= c.layers) throw new RangeError(`layer ${layer} outside 0..${c.layers - 1}`);
  if (!Number.isInteger(head) || head < 0 || head >= c.heads) throw new RangeError(`head ${head} outside 0..${c.heads - 1}`);
  const token = Math.min(Math.max(0, Math.floor(opts.token)), ids.length - 1);
  let q: Float32Array | undefined;
  let k: Float32Array | undefined;
  let residualIn: Float32Array | undefined;
  let gate: Float32Array | undefined;
  let up: Float32Array | undefined;
  await forward(model, ids, {
    logits: 'none',
    isCancelled: opts.isCancelled,
    hooks: {
      qkPreRope: (l, ql, kl) => {
        if (l !== layer) return;
        q = ql.slice();
        k = kl.slice();
      },
      residual: (l, x) => {
        if (l === layer - 1) residualIn = x.slice(token * c.hidden, (token + 1) * c.hidden);
      },
      mlp: (l, values) => {
        if (l !== layer || !values.gate) return;
        gate = values.gate.slice();
        up = values.up.slice();
      },
    },
  });
  if (layer === 0) {
    // The first layer reads the embedding (times the block's scale; plus learned positions for GPT-2).
    residualIn = new Float32Array(c.hidden);
    weightRow(model.weights.embed, ids[token], residualIn);
    const pos = model.weights.positions;
    if (c.block.positions === 'learned' && pos) for (let i = 0; i < c.hidden; i++) residualIn[i] += pos[token * c.hidden + i];
    if (c.block.embedScale !== undefined) for (let i = 0; i < c.hidden; i++) residualIn[i] *= c.block.embedScale;
  }
  const lw = model.weights.layers[layer];
  const norm = normStats(residualIn as Float32Array, lw.norm1, c.normEps, c.block.norm === 'layer' ? lw.norm1Bias : undefined);
  const probe: ConceptProbe = { layer, head, token, norm, normKind: c.block.norm };
  if (c.block.positions === 'rope' && q && k) probe.qk = qkByDistance(c, layer, head, q, k, ids.length, opts.probe);
  if (gate && up) {
    const inter = gate.length / ids.length;
    const activation = c.block.mlp === 'geglu' ? 'gelu' : 'silu';
    probe.mlp = {
      activation,
      token: swigluToken(gate, up, inter, token, activation),
      gateHistogram: histogram(gate, 40),
      sparsity: gateSparsity(gate, up, inter),
    };
  }
  return probe;
}
