// The train-on-this-text stepper: how many tokens the training text has after each merge of a BPE
// trained on it. Merges are applied in training order to every pre-tokenized word (non-overlapping,
// left to right), which is what applyBpe does merge by merge, so count k equals applyBpe(text, merges, k).length.

import { preTokenize, type BpeMerge } from './trainer';

const utf8 = new TextEncoder();

/** Token counts of `text` after 0, 1, …, merges.length merges (index k = after the first k merges). */
export function mergeStepTokenCounts(text: string, merges: readonly BpeMerge[]): number[] {
  const freq = new Map<string, number>();
  for (const w of preTokenize(text)) freq.set(w, (freq.get(w) ?? 0) + 1);
  const words: Int32Array[] = [];
  const counts: number[] = [];
  let total = 0;
  for (const [w, c] of freq) {
    const ids = Int32Array.from(utf8.encode(w));
    words.push(ids);
    counts.push(c);
    total += ids.length * c;
  }
  const out = [total];
  for (const m of merges) {
    for (let wi = 0; wi < words.length; wi++) {
      const word = words[wi];
      let n = 0;
      let changed = false;
      for (let i = 0; i < word.length; i++) {
        if (i + 1 < word.length && word[i] === m.left && word[i + 1] === m.right) {
          word[n++] = m.newId;
          i++;
          changed = true;
        } else {
          word[n++] = word[i];
        }
      }
      if (changed) {
        total -= (word.length - n) * counts[wi];
        words[wi] = word.subarray(0, n);
      }
    }
    out.push(total);
  }
  return out;
}
