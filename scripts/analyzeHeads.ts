// Per-head analysis of the embedded model on held-out text, through the project's own loadModel/runAttention.
// Prints, per layer/head, mean attention to the previous token, to the first token, to itself, to earlier copies
// of the same token, to the token after an earlier copy (induction), and from a closing bracket to its opener,
// each next to what uniform causal attention would give; then headScores (TransformerLens detect_head, "mul")
// averaged over the same windows, and the standard induction test on [BOS] r r. Writes heads.json next to the model.
//   node dist-scripts/analyzeHeads.js [modelDir] [--windows N]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../src/core/model/load';
import { runAttention } from '../src/core/model/runtime';
import { bytesToUnicode } from '../src/core/bpe/trainer';
import { embeddedModelDir } from '../src/core/paths';
import { headScores, standardInductionTest } from '../src/core/analysis/headScores';
import { buildCorpus, splitHeldOut, type CorpusDoc } from './buildCorpus';

/** One behaviour: mean attention mass and what uniform causal attention would put there. */
export interface HeadMeasure {
  mean: number;
  chance: number;
  n: number;
}

/** The measures of one head. */
export interface HeadReport {
  layer: number;
  head: number;
  kvHead: number;
  previous: HeadMeasure;
  first: HeadMeasure;
  self: HeadMeasure;
  sameToken: HeadMeasure;
  induction: HeadMeasure;
  bracket: HeadMeasure;
  /** headScores on held-out code, mean over the windows ("mul": share of the head's attention on the pattern). */
  detector: { previousToken: number; duplicateToken: number; induction: number };
  /** The standard induction test (mean attention from the second copy of r to the token after its first copy). */
  inductionTest: number;
  /** headScores induction ("mul") on the Attention panel's sample, media/samples/attention.ts (it repeats a call). */
  sampleInduction?: number;
  /** The behaviour with the largest lift over chance, in words. */
  label: string;
}

class Acc {
  sum = 0;
  chance = 0;
  n = 0;
  add(v: number, c: number): void {
    this.sum += v;
    this.chance += c;
    this.n++;
  }
  get(): HeadMeasure {
    return { mean: this.n ? this.sum / this.n : 0, chance: this.n ? this.chance / this.n : 0, n: this.n };
  }
}

const OPEN: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

/** For each token, the index of the token holding the opener matched by a closing bracket in it (or -1). */
function bracketPartners(texts: string[]): number[] {
  const stack: { ch: string; tok: number }[] = [];
  const partner = new Array<number>(texts.length).fill(-1);
  texts.forEach((s, i) => {
    for (const ch of s) {
      if (ch === '(' || ch === '[' || ch === '{') stack.push({ ch, tok: i });
      else if (OPEN[ch]) {
        // Pop to the nearest matching opener; unbalanced text (held-out windows start mid-file) is skipped.
        let k = stack.length - 1;
        while (k >= 0 && stack[k].ch !== OPEN[ch]) k--;
        if (k < 0) continue;
        const opener = stack[k];
        stack.length = k;
        if (opener.tok < i && partner[i] < 0) partner[i] = opener.tok;
      }
    }
  });
  return partner;
}

/** Runs the analysis over `windows` held-out windows of the model's context length. */
export async function analyzeHeads(modelDir: string, heldOut: CorpusDoc[], windows: number): Promise<HeadReport[]> {
  const model = await loadModel(modelDir);
  if (!model.tokenizer) throw new Error(`${modelDir} has no tokenizer.json`);
  const tok = JSON.parse(readFileSync(join(modelDir, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } };
  const unicodeToByte = new Map(bytesToUnicode().map((c, b) => [c, b]));
  const idText: string[] = [];
  const dec = new TextDecoder();
  for (const [s, id] of Object.entries(tok.model.vocab)) {
    const bytes = [...s].map((c) => unicodeToByte.get(c));
    idText[id] = bytes.every((b) => b !== undefined) ? dec.decode(Uint8Array.from(bytes as number[])) : s;
  }
  const ctx = Math.min(256, model.config.maxPositions);
  const stream: number[] = [];
  for (const d of heldOut) stream.push(...model.tokenizer.encode(d.text));
  const step = Math.max(ctx, Math.floor((stream.length - ctx) / windows));
  const L = model.config.layers;
  const H = model.config.heads;
  const accs = Array.from({ length: L * H }, () => ({
    previous: new Acc(), first: new Acc(), self: new Acc(), sameToken: new Acc(), induction: new Acc(), bracket: new Acc(),
  }));
  let kvHeadOf: number[] = [];
  const det = { previousToken: new Float64Array(L * H), duplicateToken: new Float64Array(L * H), induction: new Float64Array(L * H) };
  let detWindows = 0;
  for (let w = 0, s = 0; w < windows && s + ctx <= stream.length; w++, s += step) {
    const ids = stream.slice(s, s + ctx);
    const run = await runAttention(model, ids, { keepQkv: false, topK: 0 });
    kvHeadOf = run.kvHeadOf;
    const sc = headScores(run, ids);
    for (let i = 0; i < L * H; i++) {
      // A NaN (a head with no attention left to score) would poison the mean; it cannot happen without exclusions.
      det.previousToken[i] += sc.previousToken[i];
      det.duplicateToken[i] += sc.duplicateToken[i];
      det.induction[i] += sc.induction[i];
    }
    detWindows++;
    const partner = bracketPartners(ids.map((id) => idText[id] ?? ''));
    for (let l = 0; l < L; l++) {
      for (let h = 0; h < H; h++) {
        const p = run.probs[l][h];
        const a = accs[l * H + h];
        for (let i = 1; i < ctx; i++) {
          const row = i * ctx;
          const u = 1 / (i + 1); // uniform causal attention over positions 0..i
          a.previous.add(p[row + i - 1], u);
          a.first.add(p[row], u);
          a.self.add(p[row + i], u);
          let same = 0, sameN = 0, ind = 0, indN = 0;
          for (let j = 0; j < i; j++) {
            if (ids[j] === ids[i]) { same += p[row + j]; sameN++; }
            if (j >= 1 && ids[j - 1] === ids[i] && j < i) { ind += p[row + j]; indN++; }
          }
          if (sameN > 0) a.sameToken.add(same, sameN * u);
          if (indN > 0) a.induction.add(ind, indN * u);
          if (partner[i] >= 0) a.bracket.add(p[row + partner[i]], u);
        }
      }
    }
  }
  // Ordinary ids exclude the end-of-text token, the tokenizer's only special token (the last id).
  const vocab = model.config.vocab;
  const test = await standardInductionTest((ids) => runAttention(model, ids, { keepQkv: false, topK: 0 }), vocab - 1, vocab - 1);
  // The sample the Attention panel suggests first: what its induction head does there, measured, for the card.
  const sampleIds = model.tokenizer.encode(readFileSync(join(__dirname, '..', 'media', 'samples', 'attention.ts'), 'utf8')).slice(0, model.config.maxPositions);
  const sample = headScores(await runAttention(model, sampleIds, { keepQkv: false, topK: 0 }), sampleIds).induction;
  const reports: HeadReport[] = [];
  for (let l = 0; l < L; l++) {
    for (let h = 0; h < H; h++) {
      const a = accs[l * H + h];
      const m = {
        previous: a.previous.get(), first: a.first.get(), self: a.self.get(), sameToken: a.sameToken.get(),
        induction: a.induction.get(), bracket: a.bracket.get(),
      };
      const names: [keyof typeof m, string][] = [
        ['previous', 'previous-token'], ['first', 'first-token (sink)'], ['self', 'current-token'],
        ['sameToken', 'same-token copy'], ['induction', 'induction'], ['bracket', 'bracket matching'],
      ];
      const i = l * H + h;
      const detector = {
        previousToken: det.previousToken[i] / Math.max(1, detWindows), duplicateToken: det.duplicateToken[i] / Math.max(1, detWindows),
        induction: det.induction[i] / Math.max(1, detWindows),
      };
      let label = 'diffuse';
      if (test[i] >= 0.4) label = 'induction';
      else if (m.previous.mean >= 0.5) label = 'previous-token';
      else {
        let best = 1.5;
        for (const [k, name] of names) {
          const lift = m[k].mean / Math.max(1e-9, m[k].chance);
          if (m[k].mean >= 0.2 && lift > best) {
            best = lift;
            label = name;
          }
        }
      }
      reports.push({ layer: l, head: h, kvHead: kvHeadOf[h] ?? -1, ...m, detector, inductionTest: test[i], sampleInduction: sample[i], label });
    }
  }
  return reports;
}

/** A fixed-width table of the reports (mean and chance for each measure). */
export function formatHeadTable(reports: HeadReport[]): string {
  const f = (m: HeadMeasure): string => `${m.mean.toFixed(2)} (${m.chance.toFixed(2)})`.padEnd(12);
  const lines = ['layer head kv | previous    first       self        same-token  induction   bracket     | mul: prev  dup   ind  | test | label'];
  for (const r of reports) {
    const d = r.detector;
    lines.push(`${String(r.layer).padStart(5)} ${String(r.head).padStart(4)} ${String(r.kvHead).padStart(2)} | ${f(r.previous)}${f(r.first)}${f(r.self)}${f(r.sameToken)}${f(r.induction)}${f(r.bracket)}| ${d.previousToken.toFixed(2)}  ${d.duplicateToken.toFixed(2)}  ${d.induction.toFixed(2)} | ${r.inductionTest.toFixed(2)} | ${r.label}`);
  }
  return lines.join('\n');
}

if (/analyzeHeads\.js$/.test(process.argv[1] ?? '')) {
  const args = process.argv.slice(2);
  const wi = args.indexOf('--windows');
  const windows = wi >= 0 ? Number(args[wi + 1]) : 40;
  const dir = args.find((a, i) => !a.startsWith('--') && (wi < 0 || i !== wi + 1)) ?? embeddedModelDir();
  const root = join(__dirname, '..');
  // Same held-out documents as training: the corpus snapshot saved by the training run when present.
  let docs: CorpusDoc[];
  try {
    docs = (JSON.parse(readFileSync(join(root, '.train', 'corpus.json'), 'utf8')) as { docs: CorpusDoc[] }).docs;
  } catch {
    docs = buildCorpus(root).docs;
  }
  const { heldOut } = splitHeldOut(docs, 0.05);
  analyzeHeads(dir, heldOut, windows)
    .then((reports) => {
      console.log(`mean attention per head over ${windows} held-out windows; chance (uniform causal) in brackets`);
      console.log(formatHeadTable(reports));
      writeFileSync(join(dir, 'heads.json'), JSON.stringify({ windows, reports }, null, 2) + '\n');
    })
    .catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
}
