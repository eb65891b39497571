// Where each cut-off falls among a step's shown candidates, for drawing: the top-k boundary, the nucleus line
// (the cumulative probability, after top-k, reaching p: transformers' TopPLogitsWarper keeps a token when the
// mass of the better tokens is still below p) and the min-p threshold (min-p × the best probability; ratios
// to the best token do not change when top-k and top-p renormalise, so it is drawn on the "before" scale).
import type { Candidate } from './generate';

/** The cut-offs of one sampling step among candidates sorted best first. */
export interface CandidateCutoffs {
  /** Candidates (from the top) top-k keeps; undefined when off or the boundary is past the shown ones. */
  topKCount?: number;
  /** Candidates the nucleus keeps; undefined when off or the line is past the shown ones. */
  topPCount?: number;
  /** min-p × the best probability before the cuts; undefined when off. */
  minPThreshold?: number;
}

/** The cut-offs of `candidates` (best first) under top-k / top-p / min-p. */
export function candidateCutoffs(candidates: readonly Pick<Candidate, 'logit' | 'probBefore'>[], s: { topK?: number; topP?: number; minP?: number }): CandidateCutoffs {
  const out: CandidateCutoffs = {};
  const n = candidates.length;
  if (n === 0) return out;
  const k = s.topK ?? 0;
  if (k > 0 && k < n) {
    const threshold = candidates[k - 1].logit;
    const count = candidates.filter((c) => c.logit >= threshold).length;
    if (count < n) out.topKCount = count;
  }
  const p = s.topP ?? 1;
  if (p < 1) {
    const upTo = out.topKCount ?? n;
    // After top-k the distribution is renormalised over its survivors (all shown when top-k's boundary is shown).
    const z = out.topKCount !== undefined ? candidates.slice(0, upTo).reduce((a, c) => a + c.probBefore, 0) : 1;
    let cumulative = 0;
    for (let i = 0; i < upTo; i++) {
      cumulative += candidates[i].probBefore / z;
      if (cumulative >= p) {
        out.topPCount = i + 1;
        break;
      }
    }
  }
  const minP = s.minP ?? 0;
  if (minP > 0) out.minPThreshold = minP * candidates[0].probBefore;
  return out;
}
