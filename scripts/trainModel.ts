// Trains LLM Lens's embedded model: corpus -> BPE tokenizer -> Llama-style model (two data-parallel workers)
// -> Hugging Face layout in data/embedded-model/. Run with `npm run train:model`.
// Flags: --steps N  --batch N (sequences/step)  --ctx N  --seed N  --lr X  --warmup N  --vocab N  --max-minutes M
//        --kernel wasm|js  --resume  --stop-at N (checkpoint and stop at step N)  --smoke  --eval-every N  --ckpt-every N  --out DIR
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { BpeEncoder, bpeToTokenizerJson, trainBpe, type BpeMerge } from '../src/core/bpe/trainer';
import { initParams, paramLayout, type TrainModelConfig } from '../src/core/train/model';
import { AdamW, clipGradNorm, learningRate } from '../src/core/train/optim';
import { Prng } from '../src/core/train/prng';
import { writeSafetensorsFile } from '../src/core/model/formats/safetensorsWriter';
import { buildCorpus, splitHeldOut, type Corpus } from './buildCorpus';
import { bigramBaseline } from './bigram';
import { renderLossSvg } from './lossSvg';
import { analyzeHeads, formatHeadTable } from './analyzeHeads';
import { writeModelCard } from './writeModelCard';
import { cpus } from 'node:os';
import type { TrainWorkerData, TrainWorkerJob } from './trainWorker';

const root = join(__dirname, '..');

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const num = (name: string, dflt: number): number => (flag(name) !== undefined ? Number(flag(name)) : dflt);
const has = (name: string): boolean => process.argv.includes(`--${name}`);

const smoke = has('smoke');
const resume = has('resume');
const seed = num('seed', 1234);
const ctx = num('ctx', 128);
const batch = num('batch', 8);
const totalSteps = num('steps', smoke ? 12 : 1200);
const maxMinutes = num('max-minutes', 90);
const maxLr = num('lr', 5e-3);
const evalEvery = num('eval-every', 40);
const stopAt = num('stop-at', Infinity);
const warmupSteps = num('warmup', 56);
const kernel: 'wasm' | 'js' = flag('kernel') === 'js' ? 'js' : 'wasm';
const ckptEvery = num('ckpt-every', 40);
const outDir = flag('out') ?? join(root, 'data', 'embedded-model');
const trainDir = join(root, '.train');
const VOCAB = num('vocab', 1024);
const EOS = '<|endoftext|>';

const cfg: TrainModelConfig = {
  vocabSize: VOCAB, hiddenSize: 128, layers: 4, qHeads: 4, kvHeads: 2, headDim: 32, intermediateSize: 344,
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
  args: { seed: number; ctx: number; batch: number; totalSteps: number; maxLr: number };
  /** Schedules in force from each start step (a resumed run may extend the schedule). */
  phases?: SchedulePhase[];
}

/** The learning-rate schedule used from `startStep` on. */
interface SchedulePhase {
  startStep: number;
  totalSteps: number;
  warmupSteps: number;
  /** Matrix kernel of this phase (rounding differs between them, so exact reproduction needs the same one). */
  kernel?: 'wasm' | 'js';
}

/** One line of the loss log. */
interface LogRow {
  step: number;
  lr: number;
  trainLoss: number;
  heldOutLoss?: number;
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
  let phases: SchedulePhase[] = [{ startStep: 0, totalSteps, warmupSteps, kernel }];
  const ckptBin = join(trainDir, 'checkpoint.bin');
  const ckptJson = join(trainDir, 'checkpoint.json');
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
    phases = (meta.phases ?? [{ startStep: 0, totalSteps: meta.args.totalSteps, warmupSteps: 56 }]).map((p) => ({ ...p, kernel: p.kernel ?? 'js' }));
    const last = phases[phases.length - 1];
    // Extending a run changes the schedule from here on; record it so the run can be reproduced exactly.
    if (last.totalSteps !== totalSteps || last.warmupSteps !== warmupSteps || last.kernel !== kernel) phases.push({ startStep: step, totalSteps, warmupSteps, kernel });
    log(`resumed at step ${step}`);
  } else {
    initParams(cfg, layout, seed, params);
  }

  const gradBufs = [0, 1].map(() => new SharedArrayBuffer(layout.total * 4));
  const workers = gradBufs.map((g) => {
    const wd: TrainWorkerData = { cfg, ctx, params: params.buffer as SharedArrayBuffer, grads: g, trainTokens: trainTokens.buffer as SharedArrayBuffer, evalTokens: evalTokens.buffer as SharedArrayBuffer, kernel };
    return new Worker(join(__dirname, 'trainWorker.js'), { workerData: wd });
  });
  const run = (w: Worker, job: TrainWorkerJob): Promise<number> =>
    new Promise((resolve, reject) => {
      const onMsg = (m: { loss: number }): void => {
        w.off('error', reject);
        resolve(m.loss);
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
    return (a + b) / (starts.length * ctx);
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
    const meta: CheckpointMeta = { step, rng: rng.getState(), corpusSha: corpus.sha256, log: logRows, elapsedSeconds: elapsed, tokensSeen, args: { seed, ctx, batch, totalSteps, maxLr }, phases };
    writeFileSync(ckptJson, JSON.stringify(meta));
  };

  const schedule = { maxLr, minLr: maxLr / 10, warmupSteps, totalSteps };
  const runStart = Date.now();
  const elapsed = (): number => elapsedBefore + (Date.now() - runStart) / 1000;
  const tokensPerStep = batch * ctx;
  let windowLoss = 0;
  let windowSteps = 0;
  let windowStart = Date.now();
  log(`model: ${layout.total} parameters; ${totalSteps} steps of ${batch}x${ctx} tokens; lr ${maxLr}`);
  while (step < totalSteps) {
    if (step >= stopAt) break;
    if (elapsed() > maxMinutes * 60) {
      log(`time budget of ${maxMinutes} min reached at step ${step}`);
      break;
    }
    const starts: number[] = [];
    for (let i = 0; i < batch; i++) starts.push(rng.int(trainTokens.length - ctx - 1));
    const half = batch / 2;
    const gradScale = 1 / tokensPerStep;
    const [l0, l1] = await Promise.all([
      run(workers[0], { kind: 'train', starts: starts.slice(0, half), gradScale }),
      run(workers[1], { kind: 'train', starts: starts.slice(half), gradScale }),
    ]);
    // Fixed order (worker 0 then 1) keeps a seed's run bit-for-bit repeatable.
    for (let i = 0; i < total.length; i++) total[i] = grads[0][i] + grads[1][i];
    const loss = (l0 + l1) / tokensPerStep;
    const gradNorm = clipGradNorm(total, 1.0);
    const lr = learningRate(step, schedule);
    opt.update(params, total, lr);
    step++;
    tokensSeen += tokensPerStep;
    windowLoss += loss;
    windowSteps++;
    const row: LogRow = { step, lr, trainLoss: loss, gradNorm, tokens: tokensSeen, seconds: Math.round(elapsed()) };
    if (step % evalEvery === 0 || step === totalSteps) row.heldOutLoss = await heldOutLoss(sampleStarts);
    logRows.push(row);
    if (step % 10 === 0 || step === totalSteps || smoke) {
      const secs = (Date.now() - windowStart) / 1000;
      log(`step ${step}/${totalSteps} loss ${(windowLoss / windowSteps).toFixed(4)}${row.heldOutLoss !== undefined ? ` held-out ${row.heldOutLoss.toFixed(4)}` : ''} lr ${lr.toExponential(2)} |g| ${gradNorm.toFixed(2)} ${((windowSteps * tokensPerStep) / secs).toFixed(0)} tok/s`);
      windowLoss = 0;
      windowSteps = 0;
      windowStart = Date.now();
    }
    if (!smoke && step % ckptEvery === 0) saveCheckpoint(elapsed());
  }
  const trainSeconds = elapsed();
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
  const hfConfig = {
    architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: cfg.vocabSize, hidden_size: cfg.hiddenSize,
    intermediate_size: cfg.intermediateSize, num_hidden_layers: cfg.layers, num_attention_heads: cfg.qHeads,
    num_key_value_heads: cfg.kvHeads, head_dim: cfg.headDim, hidden_act: 'silu', max_position_embeddings: cfg.maxPositions,
    rms_norm_eps: cfg.rmsNormEps, rope_theta: cfg.ropeTheta, rope_scaling: null, tie_word_embeddings: true,
    attention_bias: false, mlp_bias: false, initializer_range: 0.02, bos_token_id: eosId, eos_token_id: eosId,
    torch_dtype: 'float32',
  };
  writeFileSync(join(outDir, 'config.json'), JSON.stringify(hfConfig, null, 2) + '\n');
  await writeSafetensorsFile(
    join(outDir, 'model.safetensors'),
    layout.slots.map((s) => ({ name: s.name, shape: s.shape, data: params.slice(s.offset, s.offset + s.size) })),
    { format: 'pt' },
  );
  writeFileSync(join(outDir, 'tokenizer.json'), JSON.stringify(tokJson) + '\n');
  const csv = ['step,lr,train_loss,held_out_loss,grad_norm,tokens,seconds'];
  for (const r of logRows) csv.push(`${r.step},${r.lr.toExponential(4)},${r.trainLoss.toFixed(5)},${r.heldOutLoss !== undefined ? r.heldOutLoss.toFixed(5) : ''},${r.gradNorm.toFixed(4)},${r.tokens},${r.seconds}`);
  writeFileSync(join(outDir, 'loss.csv'), csv.join('\n') + '\n');
  writeFileSync(join(outDir, 'loss.svg'), renderLossSvg(logRows, bigram.loss));
  const summary = {
    corpus: { sha256: corpus.sha256, bytes: corpus.totalBytes, docs: corpus.docs.length, trainDocs: train.length, heldOutDocs: heldOut.length, trainTokens: trainTokens.length, heldOutTokens: evalTokens.length, bytesPerToken: trainBytes / trainTokens.length, projectSources: corpus.projectSources, packages: corpus.packages },
    model: { parameters: layout.total, weightBytes: layout.total * 4, ...cfg },
    training: { steps: step, plannedSteps: totalSteps, batch, ctx, tokensSeen, seconds: Math.round(trainSeconds), tokensPerSecond: Math.round(tokensSeen / trainSeconds), seed, maxLr, minLr: schedule.minLr, warmupSteps: schedule.warmupSteps, weightDecay: 0.1, betas: [0.9, 0.95], gradClip: 1.0, workers: 2, phases, hardware: `${cpus().length}-core ${cpus()[0]?.model ?? 'CPU'}` },
    results: { finalTrainLoss: finalTrain, heldOutLoss: finalHeldOut, heldOutWindows: evalStarts.length, bigramLoss: bigram.loss, bigramK: bigram.k, unigramLoss: bigram.unigramLoss },
    sha256: { model: createHash('sha256').update(readFileSync(join(outDir, 'model.safetensors'))).digest('hex') },
  };
  writeFileSync(join(outDir, 'training-summary.json'), JSON.stringify(summary, null, 2) + '\n');
  const reports = await analyzeHeads(outDir, heldOut, 40);
  console.log(formatHeadTable(reports));
  writeFileSync(join(outDir, 'heads.json'), JSON.stringify({ windows: 40, reports }, null, 2) + '\n');
  writeModelCard(outDir);
  log(`wrote ${outDir}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
