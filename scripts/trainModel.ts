// Trains LLM Lens's embedded models: corpus -> BPE tokenizer -> Llama-style model (two data-parallel workers)
// -> Hugging Face layout in data/embedded-model/ (`npm run train:model`), or with --moe its mixture-of-experts
// sibling in Mixtral's layout in data/embedded-model-moe/ (`npm run train:model -- --moe`).
// Flags: --steps N  --batch N (sequences/step)  --ctx N  --seed N  --lr X  --warmup N  --vocab N  --max-minutes M
//        --kernel wasm|js  --resume  --stop-at N (checkpoint and stop at step N)  --smoke  --eval-every N  --ckpt-every N  --out DIR
//        --moe  --mix R,I,T (shares of repeated-random, inserted-random and repeated-text windows)  --layers N
//        --ckpt-dir DIR (checkpoints; default .train/ or .train/moe/)
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { BpeEncoder, bpeToTokenizerJson, trainBpe, type BpeMerge } from '../src/core/bpe/trainer';
import { initParams, paramLayout, type TrainModelConfig } from '../src/core/train/model';
import { AdamW, clipGradNorm, learningRate } from '../src/core/train/optim';
import { Prng } from '../src/core/train/prng';
import { DEFAULT_MIX, drawWindow, type DataMix } from '../src/core/train/data';
import { inductionTestScores, inductionTestSequences, INDUCTION_TEST } from '../src/core/analysis/headScores';
import { sequenceForwardBackward } from '../src/core/train/model';
import { useWasmMatmul } from '../src/core/train/ops';
import { writeSafetensorsFile } from '../src/core/model/formats/safetensorsWriter';
import { buildCorpus, splitHeldOut, type Corpus } from './buildCorpus';
import { bigramBaseline } from './bigram';
import { renderLossSvg } from './lossSvg';
import { analyzeHeads, formatHeadTable } from './analyzeHeads';
import { writeModelCard } from './writeModelCard';
import { cpus, loadavg } from 'node:os';
import type { TrainWorkerData, TrainWorkerJob, TrainWorkerReply } from './trainWorker';
import { analyzeExperts } from './analyzeExperts';

const root = join(__dirname, '..');

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const num = (name: string, dflt: number): number => (flag(name) !== undefined ? Number(flag(name)) : dflt);
const has = (name: string): boolean => process.argv.includes(`--${name}`);

const smoke = has('smoke');
const moe = has('moe');
// Each kind's defaults are the recipe of its committed model, so the bare command retrains it. The dense model:
// 4 layers on 256-token windows, 30% of them the standard test's shape ([BOS] + a random span repeated) so the
// induction circuit forms within the run (issue 16); the MoE sibling is the 2-layer, 256-token one with the mix.
const recipe = moe
  ? { layers: 2, ctx: 256, batch: 4, steps: 480, warmup: 30, mix: DEFAULT_MIX }
  : { layers: 4, ctx: 256, batch: 8, steps: 4800, warmup: 60, mix: { randomRepeat: 0.3, randomInsert: 0.05, textRepeat: 0.1 } };
const resume = has('resume');
const seed = num('seed', 1234);
const ctx = num('ctx', recipe.ctx);
const batch = num('batch', recipe.batch);
const totalSteps = num('steps', smoke ? 12 : recipe.steps);
const maxMinutes = num('max-minutes', 90);
const maxLr = num('lr', 5e-3);
const evalEvery = num('eval-every', 40);
const stopAt = num('stop-at', Infinity);
const warmupSteps = num('warmup', recipe.warmup);
const kernel: 'wasm' | 'js' = flag('kernel') === 'js' ? 'js' : 'wasm';
const ckptEvery = num('ckpt-every', 40);
const outDir = flag('out') ?? join(root, 'data', moe ? 'embedded-model-moe' : 'embedded-model');
const trainDir = join(root, '.train');
// Checkpoints per kind, so the dense and MoE runs can share the corpus and tokenizer caches.
const ckptDir = flag('ckpt-dir') ?? (moe ? join(trainDir, 'moe') : trainDir);
const mixFlag = flag('mix')?.split(',').map(Number);
const mix: DataMix = mixFlag ? { randomRepeat: mixFlag[0], randomInsert: mixFlag[1], textRepeat: mixFlag[2] } : recipe.mix;
const VOCAB = num('vocab', 1024);
const EOS = '<|endoftext|>';

const cfg: TrainModelConfig = moe
  ? {
    // 8 experts of 192, top-2: per token about the dense model's feed-forward compute, 8x its feed-forward weights.
    vocabSize: VOCAB, hiddenSize: 128, layers: num('layers', recipe.layers), qHeads: 4, kvHeads: 2, headDim: 32, intermediateSize: 192,
    ropeTheta: 10000, rmsNormEps: 1e-5, maxPositions: ctx, moe: { experts: 8, topK: 2, auxCoef: num('aux', 0.01) },
  }
  : {
    vocabSize: VOCAB, hiddenSize: 128, layers: num('layers', recipe.layers), qHeads: 4, kvHeads: 2, headDim: 32, intermediateSize: 344,
    ropeTheta: 10000, rmsNormEps: 1e-5, maxPositions: ctx,
  };

/** Everything a resumed run needs besides the tensors. */
interface CheckpointMeta {
  step: number;
  rng: number[];
  corpusSha: string;
  log: LogRow[];
  elapsedSeconds: number;
  tokensSeen: number;
  args: { seed: number; ctx: number; batch: number; totalSteps: number; maxLr: number; moe?: boolean };
  /** Schedules in force from each start step (a resumed run may extend the schedule). */
  phases?: SchedulePhase[];
  /** CPU seconds (process and workers) spent in the phases before this checkpoint's own. */
  cpuSeconds?: number;
}

/** The learning-rate schedule used from `startStep` on. */
interface SchedulePhase {
  startStep: number;
  totalSteps: number;
  warmupSteps: number;
  /** Matrix kernel of this phase (rounding differs between them, so exact reproduction needs the same one). */
  kernel?: 'wasm' | 'js';
  /** The data mix of this phase (phases saved before it was recorded used DEFAULT_MIX). */
  mix?: DataMix;
}

/** One line of the loss log. */
interface LogRow {
  step: number;
  lr: number;
  trainLoss: number;
  heldOutLoss?: number;
  /** Best head's standard induction score (every eval step). */
  induction?: number;
  /** MoE: mean load-balancing loss per sequence, summed over layers. */
  aux?: number;
  gradNorm: number;
  tokens: number;
  seconds: number;
}

function log(msg: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

/** Trains the tokenizer on the training documents (cached in .train/ so a resumed run uses the same one). */
function tokenizerFor(corpus: Corpus, trainTexts: string[]): { merges: BpeMerge[]; json: ReturnType<typeof bpeToTokenizerJson> } {
  const cache = join(trainDir, `bpe-${corpus.sha256.slice(0, 16)}-${VOCAB}.json`);
  if (existsSync(cache)) {
    const saved = JSON.parse(readFileSync(cache, 'utf8')) as { merges: { left: number; right: number; count: number; newId: number; bytes: number[] }[] };
    const merges = saved.merges.map((m) => ({ ...m, bytes: Uint8Array.from(m.bytes) }));
    const tokenBytes = [...Array.from({ length: 256 }, (_, b) => Uint8Array.of(b)), ...merges.map((m) => m.bytes)];
    return { merges, json: bpeToTokenizerJson({ merges, tokenBytes }, [EOS]) };
  }
  const t0 = Date.now();
  const result = trainBpe(trainTexts, { vocabSize: VOCAB - 1 });
  log(`BPE: ${result.merges.length} merges in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  writeFileSync(cache, JSON.stringify({ merges: result.merges.map((m) => ({ ...m, bytes: Array.from(m.bytes) })) }));
  return { merges: result.merges, json: bpeToTokenizerJson(result, [EOS]) };
}

/** Documents joined with the end-of-text token between them. */
function encodeDocs(encoder: BpeEncoder, texts: string[], eosId: number): Int32Array {
  const parts: number[] = [];
  for (const t of texts) {
    for (const id of encoder.encode(t)) parts.push(id);
    parts.push(eosId);
  }
  const sab = new SharedArrayBuffer(parts.length * 4);
  const out = new Int32Array(sab);
  out.set(parts);
  return out;
}

async function main(): Promise<void> {
  mkdirSync(trainDir, { recursive: true });
  const t0 = Date.now();
  // The corpus is snapshotted in .train/ so a resumed run sees exactly the same documents (the glossary may change).
  const corpusFile = join(trainDir, 'corpus.json');
  let corpus: Corpus;
  if (resume && existsSync(corpusFile)) corpus = JSON.parse(readFileSync(corpusFile, 'utf8')) as Corpus;
  else {
    corpus = buildCorpus(root);
    writeFileSync(corpusFile, JSON.stringify(corpus));
  }
  const { train, heldOut } = splitHeldOut(corpus.docs, 0.05);
  log(`corpus: ${corpus.docs.length} docs, ${corpus.totalBytes} bytes, ${corpus.packages.length} packages; held out ${heldOut.length} docs`);
  const { merges, json: tokJson } = tokenizerFor(corpus, train.map((d) => d.text));
  const eosId = VOCAB - 1;
  const encoder = new BpeEncoder(merges);
  const trainTokens = encodeDocs(encoder, train.map((d) => d.text), eosId);
  const evalTokens = encodeDocs(encoder, heldOut.map((d) => d.text), eosId);
  const trainBytes = train.reduce((s, d) => s + Buffer.byteLength(d.text), 0);
  log(`tokens: train ${trainTokens.length} (${(trainBytes / trainTokens.length).toFixed(2)} bytes/token), held out ${evalTokens.length} (prep ${((Date.now() - t0) / 1000).toFixed(1)} s)`);

  const layout = paramLayout(cfg);
  const params = new Float32Array(new SharedArrayBuffer(layout.total * 4));
  const decayMask = new Uint8Array(layout.total);
  for (const s of layout.slots) if (s.shape.length === 2) decayMask.fill(1, s.offset, s.offset + s.size);
  const opt = new AdamW(layout.total, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 }, decayMask);
  const rng = new Prng(seed ^ 0x5eed);
  let step = 0;
  let logRows: LogRow[] = [];
  let elapsedBefore = 0;
  let tokensSeen = 0;
  let phases: SchedulePhase[] = [{ startStep: 0, totalSteps, warmupSteps, kernel, mix }];
  let cpuBefore = 0;
  mkdirSync(ckptDir, { recursive: true });
  const ckptBin = join(ckptDir, 'checkpoint.bin');
  const ckptJson = join(ckptDir, 'checkpoint.json');
  if (resume && existsSync(ckptJson)) {
    const meta = JSON.parse(readFileSync(ckptJson, 'utf8')) as CheckpointMeta;
    if (meta.corpusSha !== corpus.sha256) throw new Error('checkpoint was made on a different corpus; start without --resume');
    const bin = readFileSync(ckptBin);
    const f = new Float32Array(bin.buffer, bin.byteOffset, bin.byteLength / 4);
    params.set(f.subarray(0, layout.total));
    opt.m.set(f.subarray(layout.total, 2 * layout.total));
    opt.v.set(f.subarray(2 * layout.total, 3 * layout.total));
    step = meta.step;
    opt.step = meta.step;
    rng.setState(meta.rng);
    logRows = meta.log;
    elapsedBefore = meta.elapsedSeconds;
    tokensSeen = meta.tokensSeen;
    phases = (meta.phases ?? [{ startStep: 0, totalSteps: meta.args.totalSteps, warmupSteps: 56 }]).map((p) => ({ ...p, kernel: p.kernel ?? 'js', mix: p.mix ?? DEFAULT_MIX }));
    cpuBefore = meta.cpuSeconds ?? 0;
    const last = phases[phases.length - 1];
    const sameMix = JSON.stringify(last.mix) === JSON.stringify(mix);
    // Extending a run changes the schedule from here on; record it so the run can be reproduced exactly.
    if (last.totalSteps !== totalSteps || last.warmupSteps !== warmupSteps || last.kernel !== kernel || !sameMix) phases.push({ startStep: step, totalSteps, warmupSteps, kernel, mix });
    log(`resumed at step ${step}`);
  } else {
    initParams(cfg, layout, seed, params);
  }

  const gradBufs = [0, 1].map(() => new SharedArrayBuffer(layout.total * 4));
  const workers = gradBufs.map((g) => {
    const wd: TrainWorkerData = { cfg, ctx, params: params.buffer as SharedArrayBuffer, grads: g, evalTokens: evalTokens.buffer as SharedArrayBuffer, kernel };
    return new Worker(join(__dirname, 'trainWorker.js'), { workerData: wd });
  });
  const run = (w: Worker, job: TrainWorkerJob): Promise<TrainWorkerReply> =>
    new Promise((resolve, reject) => {
      const onMsg = (m: TrainWorkerReply): void => {
        w.off('error', reject);
        resolve(m);
      };
      w.once('message', onMsg);
      w.once('error', reject);
      w.postMessage(job);
    });
  const grads = gradBufs.map((g) => new Float32Array(g));
  const total = new Float32Array(layout.total);

  // Held-out windows: non-overlapping; a fixed sample of them for the running log, all of them at the end.
  const evalStarts: number[] = [];
  for (let s = 0; s + ctx + 1 <= evalTokens.length; s += ctx) evalStarts.push(s);
  const sampleStarts = evalStarts.filter((_, i) => i % Math.max(1, Math.floor(evalStarts.length / 32)) === 0).slice(0, 32);
  const heldOutLoss = async (starts: number[]): Promise<number> => {
    const half = Math.ceil(starts.length / 2);
    const [a, b] = await Promise.all([run(workers[0], { kind: 'eval', starts: starts.slice(0, half) }), run(workers[1], { kind: 'eval', starts: starts.slice(half) })]);
    return (a.loss + b.loss) / (a.counted + b.counted);
  };
  // The standard induction test (10 × [BOS] + 50 random ids twice) through the training forward pass; the best
  // head's score, logged beside the loss so the phase change shows.
  useWasmMatmul(kernel === 'wasm');
  const probeSeqs = inductionTestSequences(VOCAB - 1, eosId);
  const inductionProbe = (): { best: number; scores: Float32Array } => {
    const results = probeSeqs.map((ids) => {
      const r = sequenceForwardBackward(cfg, layout, params, ids, ids, undefined, 1, true);
      return { layers: cfg.layers, heads: cfg.qHeads, seqLen: ids.length, probs: r.probs as Float32Array[][] };
    });
    const scores = inductionTestScores(results, INDUCTION_TEST.half);
    return { best: Math.max(...scores), scores };
  };

  // The baseline to beat, printed up front so a long run can be watched against it.
  const bigram = bigramBaseline(trainTokens, evalTokens, evalStarts, ctx, VOCAB);
  log(`held-out baseline: bigram ${bigram.loss.toFixed(4)} (add-k, k=${bigram.k}), unigram ${bigram.unigramLoss.toFixed(4)}`);

  const saveCheckpoint = (elapsed: number): void => {
    const bin = new Float32Array(3 * layout.total);
    bin.set(params, 0);
    bin.set(opt.m, layout.total);
    bin.set(opt.v, 2 * layout.total);
    writeFileSync(ckptBin, bin);
    const cpuNow = process.cpuUsage(cpuStart);
    const meta: CheckpointMeta = {
      step, rng: rng.getState(), corpusSha: corpus.sha256, log: logRows, elapsedSeconds: elapsed, tokensSeen, args: { seed, ctx, batch, totalSteps, maxLr, moe }, phases,
      cpuSeconds: cpuBefore + (cpuNow.user + cpuNow.system) / 1e6,
    };
    writeFileSync(ckptJson, JSON.stringify(meta));
  };

  const schedule = { maxLr, minLr: maxLr / 10, warmupSteps, totalSteps };
  const runStart = Date.now();
  const elapsed = (): number => elapsedBefore + (Date.now() - runStart) / 1000;
  const tokensPerStep = batch * ctx;
  let windowLoss = 0;
  let windowSteps = 0;
  let windowStart = Date.now();
  log(`model: ${layout.total} parameters${moe ? ' (MoE)' : ''}; ${totalSteps} steps of ${batch}x${ctx} tokens; lr ${maxLr}; mix ${JSON.stringify(mix)}`);
  const cpuStart = process.cpuUsage();
  const kinds: Record<string, number> = {};
  while (step < totalSteps) {
    if (step >= stopAt) break;
    if (elapsed() > maxMinutes * 60) {
      log(`time budget of ${maxMinutes} min reached at step ${step}`);
      break;
    }
    const windows = Array.from({ length: batch }, () => drawWindow(rng, trainTokens, ctx, mix, VOCAB - 1, eosId));
    for (const w of windows) kinds[w.kind] = (kinds[w.kind] ?? 0) + 1;
    const half = batch / 2;
    const gradScale = 1 / tokensPerStep;
    const shard = (a: number, b: number): TrainWorkerJob => ({ kind: 'train', ids: windows.slice(a, b).map((w) => w.ids), targets: windows.slice(a, b).map((w) => w.targets), gradScale });
    const [l0, l1] = await Promise.all([run(workers[0], shard(0, half)), run(workers[1], shard(half, batch))]);
    // Fixed order (worker 0 then 1) keeps a seed's run bit-for-bit repeatable.
    for (let i = 0; i < total.length; i++) total[i] = grads[0][i] + grads[1][i];
    const loss = (l0.loss + l1.loss) / Math.max(1, l0.counted + l1.counted);
    const aux = (l0.aux + l1.aux) / batch;
    const gradNorm = clipGradNorm(total, 1.0);
    const lr = learningRate(step, schedule);
    opt.update(params, total, lr);
    step++;
    tokensSeen += tokensPerStep;
    windowLoss += loss;
    windowSteps++;
    const row: LogRow = { step, lr, trainLoss: loss, gradNorm, tokens: tokensSeen, seconds: Math.round(elapsed()) };
    if (moe) row.aux = aux;
    if (step % evalEvery === 0 || step === totalSteps || (step < evalEvery && step % Math.max(1, evalEvery >> 2) === 0)) {
      row.heldOutLoss = await heldOutLoss(sampleStarts);
      row.induction = inductionProbe().best;
    }
    logRows.push(row);
    if (step % 10 === 0 || step === totalSteps || smoke) {
      const secs = (Date.now() - windowStart) / 1000;
      log(`step ${step}/${totalSteps} loss ${(windowLoss / windowSteps).toFixed(4)}${row.heldOutLoss !== undefined ? ` held-out ${row.heldOutLoss.toFixed(4)} induction ${(row.induction ?? 0).toFixed(3)}` : ''}${moe ? ` aux ${aux.toFixed(3)}` : ''} lr ${lr.toExponential(2)} |g| ${gradNorm.toFixed(2)} ${((windowSteps * tokensPerStep) / secs).toFixed(0)} tok/s`);
      windowLoss = 0;
      windowSteps = 0;
      windowStart = Date.now();
    }
    if (!smoke && step % ckptEvery === 0) saveCheckpoint(elapsed());
  }
  const trainSeconds = elapsed();
  const cpu = process.cpuUsage(cpuStart);
  // All phases: earlier ones from the checkpoint (a phase killed between checkpoints loses its CPU count since the last one).
  const cpuSeconds = cpuBefore + (cpu.user + cpu.system) / 1e6;
  if (smoke) {
    log(`smoke run: ${(tokensSeen / trainSeconds).toFixed(0)} tokens/s over ${step} steps`);
    await Promise.all(workers.map((w) => w.terminate()));
    return;
  }
  saveCheckpoint(trainSeconds);
  if (step >= stopAt && step < totalSteps) {
    log(`stopped at step ${step} (--stop-at); continue with --resume`);
    await Promise.all(workers.map((w) => w.terminate()));
    return;
  }

  log(`evaluating on all ${evalStarts.length} held-out windows…`);
  const finalHeldOut = await heldOutLoss(evalStarts);
  await Promise.all(workers.map((w) => w.terminate()));
  const lastRows = logRows.slice(-Math.min(50, logRows.length));
  const finalTrain = lastRows.reduce((s, r) => s + r.trainLoss, 0) / lastRows.length;
  log(`final: train ${finalTrain.toFixed(4)} (mean of last ${lastRows.length} steps), held-out ${finalHeldOut.toFixed(4)}; bigram ${bigram.loss.toFixed(4)} (k=${bigram.k}), unigram ${bigram.unigramLoss.toFixed(4)}`);

  // The Hugging Face layout.
  mkdirSync(outDir, { recursive: true });
  // Mixtral's config keys (transformers configuration_mixtral.py) for the MoE sibling, Llama's for the dense model.
  const moeKeys = cfg.moe
    ? {
      num_local_experts: cfg.moe.experts, num_experts_per_tok: cfg.moe.topK, router_aux_loss_coef: cfg.moe.auxCoef,
      output_router_logits: false, router_jitter_noise: 0, sliding_window: null, attention_dropout: 0,
    }
    : { mlp_bias: false };
  const hfConfig = {
    architectures: [cfg.moe ? 'MixtralForCausalLM' : 'LlamaForCausalLM'], model_type: cfg.moe ? 'mixtral' : 'llama', vocab_size: cfg.vocabSize, hidden_size: cfg.hiddenSize,
    intermediate_size: cfg.intermediateSize, num_hidden_layers: cfg.layers, num_attention_heads: cfg.qHeads,
    num_key_value_heads: cfg.kvHeads, head_dim: cfg.headDim, hidden_act: 'silu', max_position_embeddings: cfg.maxPositions,
    rms_norm_eps: cfg.rmsNormEps, rope_theta: cfg.ropeTheta, rope_scaling: null, tie_word_embeddings: true,
    attention_bias: false, ...moeKeys, initializer_range: 0.02, bos_token_id: eosId, eos_token_id: eosId,
    torch_dtype: 'float32',
  };
  writeFileSync(join(outDir, 'config.json'), JSON.stringify(hfConfig, null, 2) + '\n');
  await writeSafetensorsFile(
    join(outDir, 'model.safetensors'),
    layout.slots.map((s) => ({ name: s.name, shape: s.shape, data: params.slice(s.offset, s.offset + s.size) })),
    { format: 'pt' },
  );
  writeFileSync(join(outDir, 'tokenizer.json'), JSON.stringify(tokJson) + '\n');
  const csv = ['step,lr,train_loss,held_out_loss,grad_norm,tokens,seconds,induction,aux'];
  for (const r of logRows) csv.push(`${r.step},${r.lr.toExponential(4)},${r.trainLoss.toFixed(5)},${r.heldOutLoss !== undefined ? r.heldOutLoss.toFixed(5) : ''},${r.gradNorm.toFixed(4)},${r.tokens},${r.seconds},${r.induction !== undefined ? r.induction.toFixed(4) : ''},${r.aux !== undefined ? r.aux.toFixed(4) : ''}`);
  writeFileSync(join(outDir, 'loss.csv'), csv.join('\n') + '\n');
  writeFileSync(join(outDir, 'loss.svg'), renderLossSvg(logRows, bigram.loss));
  const finalProbe = inductionProbe();
  const summary = {
    corpus: { sha256: corpus.sha256, bytes: corpus.totalBytes, docs: corpus.docs.length, trainDocs: train.length, heldOutDocs: heldOut.length, trainTokens: trainTokens.length, heldOutTokens: evalTokens.length, bytesPerToken: trainBytes / trainTokens.length, projectSources: corpus.projectSources, packages: corpus.packages },
    model: { parameters: layout.total, weightBytes: layout.total * 4, ...cfg },
    training: {
      steps: step, plannedSteps: totalSteps, batch, ctx, tokensSeen, seconds: Math.round(trainSeconds), tokensPerSecond: Math.round(tokensSeen / trainSeconds),
      // CPU seconds of this process and its worker threads (this phase only), and the machine's load averages at the end:
      // on a shared machine wall time alone says little.
      cpuSeconds: Math.round(cpuSeconds), loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
      seed, maxLr, minLr: schedule.minLr, warmupSteps: schedule.warmupSteps, weightDecay: 0.1, betas: [0.9, 0.95], gradClip: 1.0, workers: 2, phases,
      hardware: `${cpus().length}-core ${cpus()[0]?.model ?? 'CPU'}`, mix, windowKinds: kinds,
    },
    results: {
      finalTrainLoss: finalTrain, heldOutLoss: finalHeldOut, heldOutWindows: evalStarts.length, bigramLoss: bigram.loss, bigramK: bigram.k, unigramLoss: bigram.unigramLoss,
      inductionTest: { ...INDUCTION_TEST, scores: Array.from(finalProbe.scores, (x) => Number(x.toFixed(4))), best: finalProbe.best },
    },
    sha256: { model: createHash('sha256').update(readFileSync(join(outDir, 'model.safetensors'))).digest('hex') },
  };
  writeFileSync(join(outDir, 'training-summary.json'), JSON.stringify(summary, null, 2) + '\n');
  if (cfg.moe) {
    const experts = analyzeExperts(outDir, heldOut);
    writeFileSync(join(outDir, 'experts.json'), JSON.stringify(experts, null, 2) + '\n');
  } else {
    const reports = await analyzeHeads(outDir, heldOut, 40);
    console.log(formatHeadTable(reports));
    writeFileSync(join(outDir, 'heads.json'), JSON.stringify({ windows: 40, reports }, null, 2) + '\n');
  }
  writeModelCard(outDir);
  log(`wrote ${outDir}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
