// Expert load and specialisation of the embedded MoE model on held-out text, through the trainer's forward pass
// (the runtime does not run Mixtral yet). Per layer: how many tokens pick each expert first and among the top-k;
// per expert: which kinds of token (identifier letters, whitespace, punctuation, digits, non-ASCII, end of text)
// it takes first, against the share of that kind overall, and its most frequent first-choice tokens.
//   node dist-scripts/analyzeExperts.js [modelDir] [--windows N]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToUnicode, BpeEncoder, type BpeMerge } from '../src/core/bpe/trainer';
import { paramLayout, sequenceForwardBackward } from '../src/core/train/model';
import { loadTrainModel } from '../src/core/train/hf';
import { useWasmMatmul } from '../src/core/train/ops';
import { buildCorpus, splitHeldOut, type CorpusDoc } from './buildCorpus';

/** Token kinds the specialisation report counts. */
export const TOKEN_KINDS = ['identifier', 'whitespace', 'punctuation', 'digits', 'non-ASCII', 'end of text'] as const;
/** One token kind. */
export type TokenKind = (typeof TOKEN_KINDS)[number];

/** One expert of one layer. */
export interface ExpertReport {
  expert: number;
  /** Share of tokens that chose this expert first. */
  firstShare: number;
  /** Share of the top-k routing slots that went to this expert. */
  slotShare: number;
  /** Per kind: share of this expert's first-choice tokens of that kind. */
  kinds: Record<TokenKind, number>;
  /** The kind most over-represented among its first-choice tokens, with its lift over the overall share. */
  topKind: { kind: TokenKind; share: number; lift: number };
  /** Its most frequent first-choice tokens. */
  topTokens: { text: string; count: number }[];
}

/** One layer's load. */
export interface LayerLoad {
  layer: number;
  /** Experts that are the first choice of at least one token in 200 (0.5%). */
  usedAsFirst: number;
  maxFirstShare: number;
  experts: ExpertReport[];
}

/** The whole report (experts.json). */
export interface ExpertAnalysis {
  windows: number;
  tokens: number;
  experts: number;
  topK: number;
  /** Overall share of each token kind in the analysed windows. */
  kindShares: Record<TokenKind, number>;
  layers: LayerLoad[];
}

function kindOf(text: string, isEos: boolean): TokenKind {
  if (isEos) return 'end of text';
  if (/[^\x00-\x7f]/.test(text)) return 'non-ASCII';
  if (/[A-Za-z_$]/.test(text)) return 'identifier';
  if (/[0-9]/.test(text)) return 'digits';
  if (/^\s+$/.test(text)) return 'whitespace';
  return 'punctuation';
}

/** Decoded text of every id of a byte-level tokenizer.json. */
function idTexts(dir: string): { texts: string[]; merges: BpeMerge[] } {
  const tok = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number>; merges: [string, string][] } };
  const byteOf = new Map(bytesToUnicode().map((c, b) => [c, b]));
  const texts: string[] = [];
  const dec = new TextDecoder();
  for (const [s, id] of Object.entries(tok.model.vocab)) {
    const bytes = [...s].map((c) => byteOf.get(c));
    texts[id] = bytes.every((b) => b !== undefined) ? dec.decode(Uint8Array.from(bytes as number[])) : s;
  }
  const bytesOf = (s: string): Uint8Array => Uint8Array.from([...s].map((c) => byteOf.get(c) as number));
  const merges = tok.model.merges.map(([l, r]) => ({ left: tok.model.vocab[l], right: tok.model.vocab[r], count: 0, newId: tok.model.vocab[l + r], bytes: bytesOf(l + r) }));
  return { texts, merges };
}

/** Runs the analysis over `windows` evenly spaced held-out windows of the model's context. */
export function analyzeExperts(dir: string, heldOut: CorpusDoc[], windows = 24): ExpertAnalysis {
  useWasmMatmul(true);
  const { cfg, params } = loadTrainModel(dir);
  if (!cfg.moe) throw new Error(`${dir} is not a mixture-of-experts model`);
  const { experts: E, topK: K } = cfg.moe;
  const layout = paramLayout(cfg);
  const { texts, merges } = idTexts(dir);
  const eos = cfg.vocabSize - 1;
  const encoder = new BpeEncoder(merges);
  const stream: number[] = [];
  for (const d of heldOut) {
    for (const id of encoder.encode(d.text)) stream.push(id);
    stream.push(eos);
  }
  const ctx = cfg.maxPositions;
  const step = Math.max(ctx, Math.floor((stream.length - ctx) / windows));
  const first = Array.from({ length: cfg.layers }, () => new Float64Array(E));
  const slots = Array.from({ length: cfg.layers }, () => new Float64Array(E));
  const kindCount = Array.from({ length: cfg.layers }, () => Array.from({ length: E }, () => new Map<TokenKind, number>()));
  const tokenCount = Array.from({ length: cfg.layers }, () => Array.from({ length: E }, () => new Map<number, number>()));
  const overall = new Map<TokenKind, number>();
  let tokens = 0;
  let used = 0;
  for (let w = 0, s = 0; w < windows && s + ctx <= stream.length; w++, s += step) {
    used++;
    const ids = stream.slice(s, s + ctx);
    const r = sequenceForwardBackward(cfg, layout, params, ids, ids, undefined, 1, true);
    const kinds = ids.map((id) => kindOf(texts[id] ?? '', id === eos));
    for (const k of kinds) overall.set(k, (overall.get(k) ?? 0) + 1);
    tokens += ids.length;
    (r.routing ?? []).forEach((routing, l) => {
      for (let i = 0; i < ids.length; i++) {
        const e0 = routing.experts[i * K];
        first[l][e0]++;
        for (let s2 = 0; s2 < K; s2++) slots[l][routing.experts[i * K + s2]]++;
        kindCount[l][e0].set(kinds[i], (kindCount[l][e0].get(kinds[i]) ?? 0) + 1);
        tokenCount[l][e0].set(ids[i], (tokenCount[l][e0].get(ids[i]) ?? 0) + 1);
      }
    });
  }
  const kindShares = Object.fromEntries(TOKEN_KINDS.map((k) => [k, (overall.get(k) ?? 0) / Math.max(1, tokens)])) as Record<TokenKind, number>;
  const layers: LayerLoad[] = first.map((f, l) => {
    const experts: ExpertReport[] = Array.from({ length: E }, (_, e) => {
      const n = Math.max(1, f[e]);
      const kinds = Object.fromEntries(TOKEN_KINDS.map((k) => [k, (kindCount[l][e].get(k) ?? 0) / n])) as Record<TokenKind, number>;
      let topKind: ExpertReport['topKind'] = { kind: 'identifier', share: 0, lift: 0 };
      for (const k of TOKEN_KINDS) {
        const lift = kinds[k] / Math.max(1e-9, kindShares[k]);
        // Only kinds that make up a real part of the expert's tokens count as what it specialises in.
        if (kinds[k] >= 0.1 && lift > topKind.lift) topKind = { kind: k, share: kinds[k], lift };
      }
      const topTokens = [...tokenCount[l][e].entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, 8)
        .map(([id, count]) => ({ text: texts[id] ?? `#${id}`, count }));
      return { expert: e, firstShare: f[e] / tokens, slotShare: slots[l][e] / (tokens * K), kinds, topKind, topTokens };
    });
    return {
      layer: l, usedAsFirst: experts.filter((x) => x.firstShare >= 0.005).length,
      maxFirstShare: Math.max(...experts.map((x) => x.firstShare)), experts,
    };
  });
  return { windows: used, tokens, experts: E, topK: K, kindShares, layers };
}

/** A short text table of the loads. */
export function formatExpertTable(a: ExpertAnalysis): string {
  const lines = [`first-choice share per expert (top-${a.topK} slot share in brackets), ${a.tokens} held-out tokens`];
  for (const l of a.layers) {
    lines.push(`layer ${l.layer}: ${l.experts.map((e) => `${(100 * e.firstShare).toFixed(0)}% (${(100 * e.slotShare).toFixed(0)}%)`).join('  ')}`);
    lines.push(`         ${l.experts.map((e) => `${e.topKind.kind}×${e.topKind.lift.toFixed(1)}`).join('  ')}`);
  }
  return lines.join('\n');
}

if (/analyzeExperts\.js$/.test(process.argv[1] ?? '')) {
  const args = process.argv.slice(2);
  const wi = args.indexOf('--windows');
  const windows = wi >= 0 ? Number(args[wi + 1]) : 24;
  const root = join(__dirname, '..');
  const dir = args.find((a, i) => !a.startsWith('--') && (wi < 0 || i !== wi + 1)) ?? join(root, 'data', 'embedded-model-moe');
  let docs: CorpusDoc[];
  try {
    docs = (JSON.parse(readFileSync(join(root, '.train', 'corpus.json'), 'utf8')) as { docs: CorpusDoc[] }).docs;
  } catch {
    docs = buildCorpus(root).docs;
  }
  const a = analyzeExperts(dir, splitHeldOut(docs, 0.05).heldOut, windows);
  console.log(formatExpertTable(a));
  writeFileSync(join(dir, 'experts.json'), JSON.stringify(a, null, 2) + '\n');
}
