import * as vscode from 'vscode';
import { gpuSizes } from '../core/kvcache/budget';
import { parseCount, parseDecimal, type KvFieldError } from '../core/kvcache/inputs';
import type { GpuSpec } from '../core/kvcache/roofline';
import { servingPlan } from '../core/kvcache/serving';
import { KvCacheError, type AttentionShape } from '../core/kvcache/shape';
import type { KvCacheInputs, KvInputField, KvServingFields, KvServingView } from '../shared/protocol';

// The KV-cache panel's Serving section and the user's own GPU (issue 21): the typed fields are validated here,
// the numbers come from the core (servingPlan, speedTable); the webview only draws them.

/** Limits of the typed serving fields: past any real deployment, low enough to keep every product exact. */
const LIMITS = { tpDegree: 4096, blockSize: 1 << 20, gpuMemoryGiB: 1 << 20, gpuBandwidthGBs: 1e6, gpuTflops: 1e7 } as const;

/** The Serving fields a panel starts with: no tensor parallelism, vLLM's default block of 16 tokens, no GPU typed. */
export function defaultServingFields(): KvServingFields {
  return { tpDegree: '1', blockSize: '16', gpuMemoryGiB: '', gpuBandwidthGBs: '', gpuTflops: '' };
}

/** What the Serving section and the speed table get from the typed fields. */
export interface ServingResult {
  view: KvServingView | null;
  /** The user's GPU for the speed table, when its bandwidth and TFLOP/s are both typed and valid. */
  customGpu?: GpuSpec;
  errors: Partial<Record<KvInputField, string>>;
}

/** The numbers the serving arithmetic takes from the panel's last valid computation. */
export interface ServingModel {
  shape: AttentionShape;
  seqLen: number;
  batch: number;
  kvBytesPerElement: number;
  weightsBytes: number;
}

/**
 * Validates the serving fields and works out the Serving section for `model`; `fieldMessage` words a field error
 * in the user's language. Bad numbers get a message on their field and no numbers, never a wrong one.
 */
export function servingResult(inputs: KvCacheInputs, model: ServingModel, fieldMessage: (e: KvFieldError) => string): ServingResult {
  const fields = inputs.serving ?? defaultServingFields();
  const errors: Partial<Record<KvInputField, string>> = {};
  const count = (key: 'tpDegree' | 'blockSize'): number | undefined => {
    const v = parseCount(fields[key], 1, LIMITS[key]);
    if (typeof v === 'number') return v;
    errors[key] = fieldMessage(v);
    return undefined;
  };
  const optional = (key: 'gpuMemoryGiB' | 'gpuBandwidthGBs' | 'gpuTflops'): number | undefined => {
    if (fields[key].trim() === '') return undefined;
    const v = parseDecimal(fields[key], LIMITS[key]);
    if (typeof v === 'number') return v;
    errors[key] = fieldMessage(v);
    return undefined;
  };
  const degree = count('tpDegree');
  const blockSize = count('blockSize');
  const memoryGiB = optional('gpuMemoryGiB');
  const bandwidth = optional('gpuBandwidthGBs');
  const tflops = optional('gpuTflops');
  // The speed table needs both rates of the user's GPU; one without the other is half a GPU.
  if (bandwidth !== undefined && tflops === undefined && errors.gpuTflops === undefined) errors.gpuTflops = vscode.l10n.t('Also enter the GPU’s dense TFLOP/s for the speed bounds.');
  if (tflops !== undefined && bandwidth === undefined && errors.gpuBandwidthGBs === undefined) errors.gpuBandwidthGBs = vscode.l10n.t('Also enter the GPU’s memory bandwidth for the speed bounds.');
  let customGpu: GpuSpec | undefined;
  if (bandwidth !== undefined && tflops !== undefined) {
    customGpu = {
      id: 'custom',
      label: vscode.l10n.t('Your GPU'),
      memoryBytes: memoryGiB === undefined ? 0 : Math.round(memoryGiB * 2 ** 30),
      bandwidth: bandwidth * 1e9,
      bf16Flops: tflops * 1e12,
      fp8Flops: null,
      source: vscode.l10n.t('the numbers typed in the Serving section ({0} GB/s, {1} TFLOP/s dense)', String(bandwidth), String(tflops)),
    };
  }
  if (degree === undefined || blockSize === undefined || errors.gpuMemoryGiB !== undefined) return { view: null, customGpu, errors };
  const chosen = gpuSizes().find((g) => g.id === inputs.gpuId) ?? gpuSizes()[0];
  const gpuMemoryBytes = memoryGiB === undefined ? chosen.bytes : Math.round(memoryGiB * 2 ** 30);
  const gpuLabel = memoryGiB === undefined ? chosen.label : vscode.l10n.t('your GPU ({0} GiB)', String(memoryGiB));
  try {
    const plan = servingPlan({
      shape: model.shape, degree, blockSize, seqLen: model.seqLen, sequences: model.batch,
      bytesPerElement: model.kvBytesPerElement, weightsBytes: model.weightsBytes, gpuMemoryBytes,
    });
    const tp = plan.tensorParallel;
    return {
      customGpu,
      errors,
      view: {
        degree, kvHeads: model.shape.mla ? 0 : (model.shape.kvHeadsPerLayer?.[0] ?? model.shape.kvHeads), kvHeadsPerGpu: tp.kvHeadsPerGpu,
        copiesPerHead: tp.copiesPerHead, mla: model.shape.mla !== undefined, blockSize, sequences: model.batch, seqLen: model.seqLen,
        usedBytes: plan.paged.usedBytes, allocatedBytes: plan.paged.allocatedBytes, wastedBytes: plan.paged.wastedBytes,
        wastedTokensFull: plan.paged.wastedTokensFull, wastedTokensSliding: plan.paged.wastedTokensSliding,
        weightsPerGpu: plan.weightsPerGpu, statePerGpu: plan.statePerGpu, totalPerGpu: plan.totalPerGpu,
        gpuLabel, gpuMemoryBytes, headroom: plan.headroom ?? 0,
        maxSequences: plan.maxSequences === undefined || !Number.isFinite(plan.maxSequences) ? null : plan.maxSequences,
      },
    };
  } catch (error) {
    if (!(error instanceof KvCacheError)) throw error;
    if (error.field === 'degree') {
      const heads = model.shape.kvHeadsPerLayer ? model.shape.kvHeadsPerLayer.join(', ') : String(model.shape.kvHeads);
      errors.tpDegree = vscode.l10n.t('{0} GPUs cannot share {1} KV heads evenly: use a degree that divides the KV heads, or a multiple of them.', String(degree), heads);
    } else if (error.field === 'result') errors.tpDegree = fieldMessage({ code: 'overflow' });
    else errors.blockSize = error.message;
    return { view: null, customGpu, errors };
  }
}
