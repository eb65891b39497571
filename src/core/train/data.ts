// The training-data mix of the embedded models: windows of real text, plus windows with repeated spans so the
// two-layer induction circuit (a previous-token head feeding an induction head) has something to learn early.
// Olsson et al. 2022 ("In-context learning and induction heads") find induction heads form in a sudden phase
// change; repeated random spans make copying the only way to predict them, which brings that change forward.
import { Prng } from './prng';

/** How often each kind of window is drawn (the rest are plain text). */
export interface DataMix {
  /** [BOS] r r r … : a span of uniform random token ids repeated to the end of the window. */
  randomRepeat: number;
  /** Real text with the same random span written at two places. */
  randomInsert: number;
  /** Real text with one of its own earlier spans (identifiers, calls, lines of code) copied further on. */
  textRepeat: number;
}

/** One training window: inputs and next-token targets; a target of −1 is not scored. */
export interface TrainWindow {
  ids: Int32Array;
  targets: Int32Array;
  kind: 'text' | 'randomRepeat' | 'randomInsert' | 'textRepeat';
}

/** The mix used for the committed models. */
export const DEFAULT_MIX: DataMix = { randomRepeat: 0.1, randomInsert: 0.1, textRepeat: 0.1 };

/**
 * Draws one window of `ctx` positions from the token stream. `tokens` is the training stream; `randomIds`
 * the number of ordinary (non-special) ids random spans draw from (ids 0 … randomIds − 1); `bos` the id that
 * starts a pure repeat window. Targets that no model could predict (the first copy of a random span) are −1,
 * so they neither add noise to the loss nor teach the model to spread probability over random ids.
 */
export function drawWindow(rng: Prng, tokens: ArrayLike<number>, ctx: number, mix: DataMix, randomIds: number, bos: number): TrainWindow {
  const seq = new Int32Array(ctx + 1);
  const scored = new Uint8Array(ctx + 1).fill(1); // scored[i]: is seq[i] a target worth scoring?
  // A plain-text mix draws only the start, exactly as the trainer did before the mix existed, so older recipes
  // (the committed dense model's) still reproduce their batches.
  const plain = mix.randomRepeat + mix.randomInsert + mix.textRepeat === 0;
  const u = plain ? 1 : rng.next();
  const start = rng.int(tokens.length - ctx - 1);
  for (let i = 0; i <= ctx; i++) seq[i] = tokens[start + i];
  let kind: TrainWindow['kind'] = 'text';
  if (u < mix.randomRepeat) {
    kind = 'randomRepeat';
    const len = Math.min(ctx, 8 + rng.int(57)); // 8 … 64 tokens: the standard test's 50 sits inside
    const span = Array.from({ length: len }, () => rng.int(randomIds));
    seq[0] = bos;
    for (let i = 1; i <= ctx; i++) seq[i] = span[(i - 1) % len];
    scored.fill(0, 0, 1 + len);
  } else if (u < mix.randomRepeat + mix.randomInsert) {
    kind = 'randomInsert';
    const len = Math.max(1, Math.min(Math.floor(ctx / 4), 4 + rng.int(29))); // 4 … 32
    const first = rng.int(Math.floor(ctx / 2) - len);
    const second = first + len + rng.int(ctx + 1 - 2 * len - first);
    for (let i = 0; i < len; i++) {
      const id = rng.int(randomIds);
      seq[first + i] = id;
      seq[second + i] = id;
    }
    scored.fill(0, first, first + len);
    scored[second] = 0; // the second copy's first token cannot be known before it appears
  } else if (u < mix.randomRepeat + mix.randomInsert + mix.textRepeat) {
    kind = 'textRepeat';
    const len = Math.max(1, Math.min(Math.floor(ctx / 4), 8 + rng.int(41))); // 8 … 48
    const from = rng.int(Math.floor(ctx / 2) - len);
    const to = from + len + rng.int(ctx + 1 - 2 * len - from);
    for (let i = 0; i < len; i++) seq[to + i] = seq[from + i];
  }
  const ids = seq.slice(0, ctx);
  const targets = seq.slice(1, ctx + 1);
  for (let i = 0; i < ctx; i++) if (!scored[i + 1]) targets[i] = -1;
  return { ids, targets, kind };
}
