// Reading a committed embedded model back into the trainer: its config.json (Llama or Mixtral keys, as
// transformers' configuration_llama.py / configuration_mixtral.py name them) and its safetensors weights.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSafetensors } from '../model/formats/safetensors';
import { paramLayout, type TrainModelConfig } from './model';

/** The trainer's configuration from a Llama or Mixtral config.json. */
export function trainConfigFromHf(hf: Record<string, unknown>): TrainModelConfig {
  const n = (k: string): number => Number(hf[k]);
  const cfg: TrainModelConfig = {
    vocabSize: n('vocab_size'), hiddenSize: n('hidden_size'), layers: n('num_hidden_layers'), qHeads: n('num_attention_heads'),
    kvHeads: n('num_key_value_heads'), headDim: n('head_dim'), intermediateSize: n('intermediate_size'), ropeTheta: n('rope_theta'),
    rmsNormEps: n('rms_norm_eps'), maxPositions: n('max_position_embeddings'),
  };
  if (hf.model_type === 'mixtral') cfg.moe = { experts: n('num_local_experts'), topK: n('num_experts_per_tok'), auxCoef: n('router_aux_loss_coef') };
  return cfg;
}

/** Reads a model directory (config.json + model.safetensors) into the trainer's flat parameter buffer. */
export function loadTrainModel(dir: string): { cfg: TrainModelConfig; params: Float32Array; tensorNames: string[] } {
  const cfg = trainConfigFromHf(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>);
  const layout = paramLayout(cfg);
  const st = parseSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))));
  const params = new Float32Array(layout.total);
  for (const s of layout.slots) params.set(st.read(s.name), s.offset);
  return { cfg, params, tensorNames: [...st.header.tensors.keys()] };
}
