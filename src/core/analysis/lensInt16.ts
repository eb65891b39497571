// The logit lens's unembedding in 16-bit integers (issue 18): every row's logits against the whole vocabulary by
// wasmInt16.ts's i16_matmul on the thread team, folded by lens_scan into the softmax sums and a short list of
// candidates per row, then the candidates re-scored exactly (float64 sums of the float32 products), so the top-k
// ids and their logits are exact and only Z and the entropy carry the quantization's error, which is bounded:
// - the LM head is quantized once per model (cached with it, counted in its residentBytes) with a scale per
//   vocabulary row, the normed rows per call with a scale per row; both are scaled so that no i32 lane's true sum
//   can reach 2^31 (Cauchy–Schwarz on each lane's share of the row: ‖p_lane‖₂·‖q_lane‖₂ < 2^31), so the
//   wrapping i32 sums are exact;
// - logit error: |x·w − t·s·p·q| ≤ ‖x‖₂‖w − s·q‖₂ + ‖x − t·p‖₂‖s·q‖₂, plus the float32 evaluation's rounding;
// - a row's candidates are every id whose approximate logit is within 2B of the k-th largest approximate one, so
//   no id outside them can be in the exact top k; their exact values replace theirs in Z, W, V.
import type { Model } from '../model/load';
import { partsOf, runParts, scratch, simdKernel } from '../tensor/wasmMatmul';
import { OP_LENS } from '../tensor/threads';
import { LENS_CAND_HEADER, LENS_EXP_FLOOR, LENS_STATE_BYTES } from '../tensor/wasmInt16';
import { weightFloat32, weightRow, weightRows, type WeightMatrix } from '../tensor/weights';

/** The LM head in 16-bit integers with one scale per vocabulary row (padded rows have scale NaN). */
export interface Int16Head {
  /** vocabP × kP int16, row-major (kP = hidden rounded up to 8, vocabP = vocab rounded up to 4). */
  readonly q: Int16Array;
  readonly scale: Float32Array;
  readonly kP: number;
  readonly vocabP: number;
  /** max over rows and i32 lanes of ‖q_lane‖₂ (each lane: elements i with ⌊(i mod 8)/2⌋ = lane). */
  readonly laneNorm: number;
  /** max over rows of ‖w − s·q‖₂ and of ‖s·q‖₂. */
  readonly maxError: number;
  readonly maxNorm: number;
  readonly bytes: number;
}

/** A lane's share of a row may reach this 2-norm in the head (the normed rows get 2^31 / this). */
const HEAD_LANE_NORM = 46000;
const U = 2 ** -24;

const heads = new WeakMap<Model, Int16Head | null>();
/** The largest int16 head kept (a 128k-vocabulary, 2,048-wide model's is 525 MB; beyond this float32 is used). */
const INT16_HEAD_MAX_BYTES = 512 << 20;

/**
 * Quantizes the float32 row `w` (length H) into `q` at `at` (kP values, zero padded) with a scale that keeps every
 * lane's 2-norm ≤ `laneCap` and |q| ≤ 32767 (lane of element i: ⌊(i mod 8)/2⌋, as i32x4.dot_i16x8_s accumulates
 * pairs); returns [scale, ‖w − s·q‖₂, ‖s·q‖₂, max lane norm of q].
 */
export function quantizeRow(w: Float32Array, H: number, kP: number, laneCap: number, q: Int16Array, at: number): [number, number, number, number] {
  let l0 = 0, l1 = 0, l2 = 0, l3 = 0, maxAbs = 0;
  for (let i = 0; i < H; i++) {
    const a = Math.abs(w[i]);
    if (a > maxAbs) maxAbs = a;
  }
  [l0, l1, l2, l3] = laneSquares(w, H, 1);
  if (maxAbs === 0 || !Number.isFinite(maxAbs)) {
    q.fill(0, at, at + kP);
    return [maxAbs === 0 ? 1 : NaN, 0, 0, 0];
  }
  // Rounding moves each |q| by ≤ ½, a lane's norm by ≤ ½·√(kP/4): keep that room under the cap.
  const room = laneCap - 0.5 * Math.sqrt(kP / 4) - 1;
  // A float32 scale (the kernel's), a little above the bound so float32 rounding cannot take it below.
  let s = Math.fround(Math.max(maxAbs / 32767, Math.sqrt(Math.max(l0, l1, l2, l3)) / room) * (1 + 2 ** -20));
  for (;;) {
    let err = 0;
    const inv = 1 / s;
    for (let i = 0; i < H; i++) {
      // Round to nearest by the 1.5·2^52 shift (|w·inv| < 2^15; Math.round is ~8× slower here).
      const v = w[i] * inv + ROUND_SHIFT - ROUND_SHIFT;
      q[at + i] = v;
      const d = w[i] - s * v;
      err += d * d;
    }
    q.fill(0, at + H, at + kP);
    [l0, l1, l2, l3] = laneSquares(q.subarray(at, at + H), H, 1);
    const laneMax = Math.sqrt(Math.max(l0, l1, l2, l3));
    // |v| ≤ 32767 holds: |w·inv| ≤ 32767·(1 − 2^−20) + rounding of inv, far from 32767.5.
    if (laneMax <= laneCap) return [s, Math.sqrt(err), s * Math.sqrt(l0 + l1 + l2 + l3), laneMax];
    s = Math.fround(s * 1.001);
  }
}

const ROUND_SHIFT = 1.5 * 2 ** 52;

/** Σ (v·scale)² over each i32 lane's elements of v[0 … H) (lane of i: ⌊(i mod 8)/2⌋), 8 at a time. */
function laneSquares(v: Float32Array | Int16Array, H: number, scale: number): [number, number, number, number] {
  let l0 = 0, l1 = 0, l2 = 0, l3 = 0, i = 0;
  for (; i + 8 <= H; i += 8) {
    const a = v[i], b = v[i + 1], c = v[i + 2], d = v[i + 3], e = v[i + 4], f = v[i + 5], g = v[i + 6], h = v[i + 7];
    l0 += a * a + b * b;
    l1 += c * c + d * d;
    l2 += e * e + f * f;
    l3 += g * g + h * h;
  }
  const lanes = [l0, l1, l2, l3];
  for (; i < H; i++) lanes[(i & 7) >> 1] += v[i] * v[i];
  return [lanes[0] * scale, lanes[1] * scale, lanes[2] * scale, lanes[3] * scale];
}

/** The model's LM head in int16 (quantized on first use and kept with the model), or undefined when it cannot be. */
export function int16Head(model: Model): Int16Head | undefined {
  const cached = heads.get(model);
  if (cached !== undefined) return cached ?? undefined;
  const head = quantizeHead(model, model.weights.lmHead);
  heads.set(model, head ?? null);
  if (head) model.residentBytes += head.bytes;
  return head;
}

function quantizeHead(model: Model, w: WeightMatrix): Int16Head | undefined {
  const H = w.cols, V = w.rows;
  const kP = Math.ceil(H / 8) * 8;
  const vocabP = Math.ceil(V / 4) * 4;
  const bytes = vocabP * kP * 2 + vocabP * 4;
  if (w.stream || bytes > INT16_HEAD_MAX_BYTES || (model.maxResidentBytes !== undefined && model.residentBytes + bytes > model.maxResidentBytes)) return undefined;
  const q = new Int16Array(vocabP * kP);
  const scale = new Float32Array(vocabP).fill(NaN);
  let laneNorm = 0, maxError = 0, maxNorm = 0;
  const block = Math.max(1, Math.floor((4 << 20) / H));
  for (let start = 0; start < V; start += block) {
    const count = Math.min(block, V - start);
    const rows = weightFloat32(weightRows(w, start, count));
    for (let r = 0; r < count; r++) {
      const [s, err, norm, lane] = quantizeRow(rows.subarray(r * H, (r + 1) * H), H, kP, HEAD_LANE_NORM, q, (start + r) * kP);
      if (!Number.isFinite(s)) return undefined;
      scale[start + r] = s;
      maxError = Math.max(maxError, err);
      maxNorm = Math.max(maxNorm, norm);
      laneNorm = Math.max(laneNorm, lane);
    }
  }
  return { q, scale, kP, vocabP, laneNorm, maxError, maxNorm, bytes };
}

/** The lens's rows unembedded: per row its top-k (exact logits), softmax probabilities and entropy, and the error bounds. */
export interface LensRows {
  ids: Int32Array;
  probs: Float32Array;
  entropy: Float32Array;
  /** The largest bound on any approximate logit that entered Z or an entropy (nats). */
  logitError: number;
  /** The largest bound on the absolute error of a returned probability. */
  probError: number;
  /** The largest bound on the absolute error of a returned entropy (nats). */
  entropyError: number;
}

/** Vocabulary ids the first step covers (its top-k sets the rows' thresholds for the rest). */
const SEED_VOCAB = 1024;
/** Candidate entries per row, thread and step; a row that overflows is redone exactly (rare). */
const CAND_CAP = 256;
/** Vocabulary rows per i16_matmul call: 960 rows × 128 float32 logits stay in a 1 MiB L2 for lens_scan. */
const SUB_VOCAB = 128;
/** Steps after the seed (the thresholds rise between them). */
const STEPS = 4;

const align64 = (n: number): number => Math.ceil(n / 64) * 64;

/** Splits [a, b) (multiples of 4) into `parts` bands whose bounds are multiples of 4. */
function bands(a: number, b: number, parts: number): [number, number][] {
  const units = (b - a) / 4;
  return Array.from({ length: parts }, (_, p) => [a + Math.floor((units * p) / parts) * 4, a + Math.floor((units * (p + 1)) / parts) * 4]);
}

/**
 * The per-row error bound of the approximate logits of normed rows `x` (rows × H) quantized into `p` (rows × kP),
 * with their scales `t`; undefined when the kernel cannot run. Exposed for tests through `unembedInt16`.
 */
function quantizeRows(x: Float32Array, rows: number, H: number, head: Int16Head, p: Int16Array, t: Float32Array): Float64Array | undefined {
  const kP = head.kP;
  // The rows' lanes may reach (2^31 − 1) / the head's largest lane norm, with a margin for the float64 checks.
  const cap = Math.floor(((2 ** 31 - 1) / head.laneNorm) * 0.999);
  const bound = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const xr = x.subarray(r * H, (r + 1) * H);
    const [s] = quantizeRow(xr, H, kP, cap, p, r * kP);
    if (!Number.isFinite(s)) return undefined;
    t[r] = s;
    const tf = t[r];
    let x2 = 0, d2 = 0, h2 = 0;
    for (let i = 0; i < H; i++) {
      const v = tf * p[r * kP + i];
      x2 += xr[i] * xr[i];
      d2 += (xr[i] - v) ** 2;
      h2 += v * v;
    }
    // Quantization (both sides), then the float32 evaluation (lane conversions, three adds, two products).
    bound[r] = (Math.sqrt(x2) * head.maxError + Math.sqrt(d2) * head.maxNorm + 8 * U * Math.sqrt(h2) * head.maxNorm) * (1 + 1e-6) + 1e-30;
  }
  return bound;
}

/**
 * Unembeds `rows` normed rows (rows × hidden) against the model's int16 LM head: top `topK` per row, best first
 * (exact logits), softmax probabilities and entropies with bounded error. Undefined when the kernel is unavailable,
 * the head cannot be quantized, or the bound exceeds `maxLogitError` (the caller takes the float32 path).
 */
export function unembedInt16(model: Model, x: Float32Array, rows: number, topK: number, maxLogitError: number): LensRows | undefined {
  const kern = simdKernel();
  const head = kern ? int16Head(model) : undefined;
  if (!kern || !head || rows < 1 || topK > CAND_CAP / 4) return undefined;
  const H = model.config.hidden, V = model.config.vocab;
  const { kP, vocabP } = head;
  const rowsP = Math.ceil(rows / 4) * 4;
  const p = new Int16Array(rowsP * kP);
  const t = new Float32Array(rowsP);
  const bound = quantizeRows(x, rows, H, head, p, t);
  if (!bound) return undefined;
  let maxBound = 0;
  for (const b of bound) maxBound = Math.max(maxBound, b);
  if (!(maxBound <= maxLogitError)) {
    // Too coarse for this model's rows: give the memory back and keep to float32 for it from now on.
    heads.set(model, null);
    model.residentBytes -= head.bytes;
    return undefined;
  }

  const parts = partsOf(kern);
  const seedEnd = Math.min(vocabP, Math.max(SEED_VOCAB, Math.ceil(topK / 4) * 4 * parts));
  const tileCols = Math.max(SUB_VOCAB, ...bands(0, seedEnd, parts).map(([a, b]) => b - a));
  const candStride = LENS_CAND_HEADER + 8 * CAND_CAP;
  // Memory (scratch above the weights resident in the kernel's memory): p, t, s, theta, then per thread a logits
  // tile, its state and candidate lists, then the head. Offsets from the scratch's start first, then placed.
  const tRel = align64(rowsP * kP * 2);
  const sRel = align64(tRel + rowsP * 4);
  const thRel = align64(sRel + vocabP * 4);
  const perThread = align64(rowsP * tileCols * 4) + align64(rows * LENS_STATE_BYTES) + align64(rows * candStride);
  const threadRel = align64(thRel + rows * 4);
  // The head is copied in one step's rows at a time (the copy leaves them in cache for the product).
  const rest = vocabP - seedEnd;
  const stepSize = Math.ceil(rest / STEPS / (4 * parts)) * 4 * parts;
  const qRel = threadRel + parts * perThread;
  const base = scratch(kern, qRel + Math.max(seedEnd, stepSize) * kP * 2);
  if (base === undefined) return undefined;
  const pAt = base, tAt = base + tRel, sAt = base + sRel, thAt = base + thRel, threadAt = base + threadRel, qAt = base + qRel;
  const buf = kern.memory.buffer;
  new Int16Array(buf, pAt, rowsP * kP).set(p);
  new Float32Array(buf, tAt, rowsP).set(t);
  new Float32Array(buf, sAt, vocabP).set(head.scale);
  const theta = new Float32Array(buf, thAt, rows);
  const yAt = (q: number): number => threadAt + q * perThread;
  const stAt = (q: number): number => yAt(q) + align64(rowsP * tileCols * 4);
  const cAt = (q: number): number => stAt(q) + align64(rows * LENS_STATE_BYTES);
  for (let q = 0; q < parts; q++) {
    const st = new Float64Array(buf, stAt(q), rows * 4);
    for (let r = 0; r < rows; r++) st.set([-Infinity, 0, 0, 0], r * 4);
    const cand = new Int32Array(buf, cAt(q), (rows * candStride) / 4);
    for (let r = 0; r < rows; r++) cand[(r * candStride) / 4] = 0;
  }
  const run = (a: number, b: number, sub: (band: number) => number): void => {
    new Int16Array(buf, qAt, (b - a) * kP).set(head.q.subarray(a * kP, b * kP));
    const ops = bands(a, b, parts).map(([o0, o1], q) => [OP_LENS, pAt, qAt + (o0 - a) * kP * 2, yAt(q), rowsP, kP, o1 - o0, tAt, sAt + o0 * 4, stAt(q), thAt, cAt(q), CAND_CAP, o0, rows, Math.max(4, sub(o1 - o0))]);
    runParts(kern, ops);
  };

  // Seed: the first ids in one tile per thread, read here for each row's first top-k (no candidates yet).
  theta.fill(Infinity);
  run(0, seedEnd, (n) => n);
  const pool: { ids: number[]; vals: number[] }[] = [];
  const kth = new Float64Array(rows);
  const overflow = new Uint8Array(rows);
  {
    const seed = bands(0, seedEnd, parts);
    const tiles = seed.map(([o0, o1], q) => new Float32Array(buf, yAt(q), rows * (o1 - o0)));
    const top = new Float64Array(topK);
    for (let r = 0; r < rows; r++) {
      top.fill(-Infinity);
      for (let q = 0; q < parts; q++) foldTop(tiles[q], r * (seed[q][1] - seed[q][0]), Math.min(seed[q][1], V) - seed[q][0], top);
      kth[r] = top[topK - 1];
      const th = kth[r] - 2 * bound[r];
      const ids: number[] = [], vals: number[] = [];
      for (let q = 0; q < parts; q++) collectAbove(tiles[q], r * (seed[q][1] - seed[q][0]), Math.min(seed[q][1], V) - seed[q][0], th, seed[q][0], ids, vals);
      pool.push({ ids, vals });
      theta[r] = th;
    }
  }
  // The rest in a few steps: after each, the candidates join the pools and the thresholds rise.
  for (let a = seedEnd; a < vocabP; a += stepSize) {
    run(a, Math.min(vocabP, a + stepSize), () => SUB_VOCAB);
    for (let q = 0; q < parts; q++) {
      const ci = new Int32Array(buf, cAt(q), (rows * candStride) / 4);
      const cf = new Float32Array(buf, cAt(q), (rows * candStride) / 4);
      for (let r = 0; r < rows; r++) {
        const at = (r * candStride) / 4;
        const n = ci[at];
        if (n === 0) continue;
        ci[at] = 0;
        if (n > CAND_CAP) { overflow[r] = 1; continue; }
        for (let j = 0; j < n; j++) {
          const id = ci[at + 2 + 2 * j];
          if (id < V) { pool[r].ids.push(id); pool[r].vals.push(cf[at + 3 + 2 * j]); }
        }
      }
    }
    for (let r = 0; r < rows; r++) {
      const pl = pool[r];
      if (pl.ids.length <= topK) continue;
      kth[r] = kthLargest(pl.vals, topK);
      const th = kth[r] - 2 * bound[r];
      const keep = pl.vals.map((v, i) => (v >= th ? i : -1)).filter((i) => i >= 0);
      pool[r] = { ids: keep.map((i) => pl.ids[i]), vals: keep.map((i) => pl.vals[i]) };
      theta[r] = th;
    }
  }
  // Each row's softmax sums, merged over the threads (each rescaled to the row's overall max).
  const stats = new Float64Array(rows * 4);
  for (let r = 0; r < rows; r++) stats[r * 4] = -Infinity;
  for (let q = 0; q < parts; q++) {
    const st = new Float64Array(kern.memory.buffer, stAt(q), rows * 4);
    for (let r = 0; r < rows; r++) mergeStats(stats, r, st[r * 4], st[r * 4 + 1], st[r * 4 + 2], st[r * 4 + 3]);
  }
  const out: LensRows = { ids: new Int32Array(rows * topK), probs: new Float32Array(rows * topK), entropy: new Float32Array(rows), logitError: 0, probError: 0, entropyError: 0 };
  const lmHead = model.weights.lmHead;
  // A float32 head is read in place; any other is decoded a row at a time, each row once (candidates repeat
  // across layers and positions).
  const f32Head = lmHead.type === 'f32' && lmHead.data instanceof Float32Array ? lmHead.data : undefined;
  const decoded = new Map<number, Float32Array>();
  const exact = (r: number, id: number): number => {
    if (f32Head) return dotRow(x, r * H, f32Head, id * H, H);
    let wRow = decoded.get(id);
    if (!wRow) {
      wRow = new Float32Array(H);
      weightRow(lmHead, id, wRow);
      decoded.set(id, wRow);
    }
    return dotRow(x, r * H, wRow, 0, H);
  };
  for (let r = 0; r < rows; r++) {
    if (overflow[r]) exactRow(x, r, H, V, lmHead, topK, out);
    else finishRow(r, pool[r], bound[r], stats, topK, exact, out);
  }
  return out;
}

/**
 * Row r from its candidates: exact logits for each (`exact`), the top k by them, their values in place of the
 * approximate ones in Z, W, V, then probabilities, entropy and the bounds on their error.
 */
function finishRow(r: number, pl: { ids: number[]; vals: number[] }, B: number, stats: Float64Array, topK: number, exact: (r: number, id: number) => number, out: LensRows): void {
  const k = pl.vals.length >= topK ? kthLargest(pl.vals, topK) : -Infinity;
  const ids: number[] = [], approx: number[] = [], logits: number[] = [];
  for (let j = 0; j < pl.ids.length; j++) {
    if (pl.vals[j] >= k - 2 * B) {
      ids.push(pl.ids[j]);
      approx.push(pl.vals[j]);
      logits.push(exact(r, pl.ids[j]));
    }
  }
  const order = ids.map((_, j) => j).sort((u, v) => logits[v] - logits[u] || ids[u] - ids[v]);
  const m = stats[r * 4];
  let z = stats[r * 4 + 1], w = stats[r * 4 + 2], v2 = stats[r * 4 + 3];
  let zc = 0;
  for (let j = 0; j < ids.length; j++) {
    const sa = Math.max(approx[j] - m, LENS_EXP_FLOOR), ea = Math.exp(sa);
    const sl = logits[j] - m, el = Math.exp(sl);
    z += el - ea;
    w += el * sl - ea * sa;
    v2 += el * sl * sl - ea * sa * sa;
    zc += el;
  }
  const logZ = Math.log(z);
  const mean = w / z;
  out.entropy[r] = logZ - mean;
  // Error: only the non-candidates' logits are approximate (each within B); η covers the float32 sums and e^x.
  const eta = 1e-5;
  const pNc = Math.min(1, Math.max(0, (z - zc) / z));
  const rho = Math.min(0.5, (Math.exp(B) - 1) * pNc + eta);
  const logZErr = -Math.log(1 - rho);
  const sd = Math.sqrt(Math.max(0, v2 / z - mean * mean) + eta);
  const entErr = B * Math.exp(2 * B) * Math.sqrt(pNc) * (sd + B) + eta * (1 + Math.abs(logZ) + 2 * Math.abs(mean));
  out.logitError = Math.max(out.logitError, pNc > 0 ? B : 0);
  out.entropyError = Math.max(out.entropyError, entErr);
  for (let j = 0; j < topK; j++) {
    const c = order[j];
    out.ids[r * topK + j] = ids[c];
    const pj = Math.exp(logits[c] - m - logZ);
    out.probs[r * topK + j] = pj;
    out.probError = Math.max(out.probError, pj * (Math.exp(logZErr) - 1));
  }
}

/** Folds y[at … at + n) into the descending list `top` (small functions: V8 optimizes them after a few rows). */
function foldTop(y: Float32Array, at: number, n: number, top: Float64Array): void {
  const last = top.length - 1;
  for (let i = 0; i < n; i++) {
    const v = y[at + i];
    if (v > top[last]) insertTop(top, v);
  }
}

/** Appends (base + i, y[at + i]) for every y[at + i] ≥ th, i < n. */
function collectAbove(y: Float32Array, at: number, n: number, th: number, base: number, ids: number[], vals: number[]): void {
  for (let i = 0; i < n; i++) {
    const v = y[at + i];
    if (v >= th) {
      ids.push(base + i);
      vals.push(v);
    }
  }
}

/** Inserts v into the descending list `top` (its last entry drops out). */
function insertTop(top: Float64Array, v: number): void {
  const k = top.length;
  if (!(v > top[k - 1])) return;
  let at = k - 1;
  while (at > 0 && v > top[at - 1]) {
    top[at] = top[at - 1];
    at--;
  }
  top[at] = v;
}

/** The k-th largest of `vals` (k ≤ length). */
function kthLargest(vals: readonly number[], k: number): number {
  if (kthScratch.length !== k) kthScratch = new Float64Array(k);
  const top = kthScratch.fill(-Infinity);
  for (const v of vals) insertTop(top, v);
  return top[k - 1];
}

let kthScratch = new Float64Array(0);

/** Folds one thread's (m, Z, W, V) into row r of `stats` (the same rescaling as lens_scan's). */
function mergeStats(stats: Float64Array, r: number, m: number, z: number, w: number, v: number): void {
  const b = r * 4;
  if (m === -Infinity) return;
  const m0 = stats[b];
  const hi = Math.max(m0, m);
  const scale = (mi: number, zi: number, wi: number, vi: number): [number, number, number] => {
    if (mi === -Infinity) return [0, 0, 0];
    const d = mi - hi, f = Math.exp(d);
    return [f * zi, f * (wi + d * zi), f * (vi + 2 * d * wi + d * d * zi)];
  };
  const [z0, w0, v0] = scale(m0, stats[b + 1], stats[b + 2], stats[b + 3]);
  const [z1, w1, v1] = scale(m, z, w, v);
  stats[b] = hi;
  stats[b + 1] = z0 + z1;
  stats[b + 2] = w0 + w1;
  stats[b + 3] = v0 + v1;
}

/** x[at … at + H) · w[wAt … wAt + H) in float64 (each float32 product is exact there), rounded to float32. */
function dotRow(x: Float32Array, at: number, w: Float32Array, wAt: number, H: number): number {
  let sum = 0;
  for (let i = 0; i < H; i++) sum += x[at + i] * w[wAt + i];
  return Math.fround(sum);
}

/** Row r exactly: every logit in float32 (one product with the LM head), top-k, softmax and entropy in float64. */
function exactRow(x: Float32Array, r: number, H: number, V: number, lmHead: WeightMatrix, topK: number, out: LensRows): void {
  const wRow = new Float32Array(H);
  const logits = new Float64Array(V);
  let m = -Infinity;
  for (let o = 0; o < V; o++) {
    weightRow(lmHead, o, wRow);
    let sum = 0;
    for (let i = 0; i < H; i++) sum += x[r * H + i] * wRow[i];
    logits[o] = Math.fround(sum);
    if (logits[o] > m) m = logits[o];
  }
  let z = 0, w = 0;
  for (let o = 0; o < V; o++) {
    const s = logits[o] - m, e = Math.exp(s);
    z += e;
    w += e * s;
  }
  const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => logits[b] - logits[a] || a - b);
  for (let j = 0; j < topK; j++) {
    out.ids[r * topK + j] = order[j];
    out.probs[r * topK + j] = Math.exp(logits[order[j]] - m) / z;
  }
  out.entropy[r] = Math.log(z) - w / z;
}
