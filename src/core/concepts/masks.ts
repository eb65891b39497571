// Attention masks drawn on a text's tokens (issue 20): which keys each query may see. Causal (decoder-only, GPT),
// bidirectional (encoder-only, BERT), sliding window (Mistral, Gemma's local layers: key j visible to query i when
// 0 ≤ i − j < window, as the runtime's isVisible and transformers' sliding_window_causal mask), padding (a batch
// padded on the left, as transformers pads decoder-only prompts), and encoder-decoder (T5: encoder bidirectional,
// decoder causal over its own tokens plus every encoder token through cross-attention).

/** The mask kinds the lab draws. */
export const maskKinds = ['causal', 'bidirectional', 'sliding', 'padding', 'encoderDecoder'] as const;

/** One mask kind. */
export type MaskKind = (typeof maskKinds)[number];

/** A drawn mask: rows = queries, cols = keys, 1 = may attend; labels say which token each row/column is. */
export interface AttentionMaskGrid {
  kind: MaskKind;
  rows: number;
  cols: number;
  /** rows × cols, row-major. */
  allowed: Uint8Array;
  /** For encoderDecoder: rows < encoderTokens are encoder queries, the rest decoder queries; columns likewise. */
  encoderTokens?: number;
  /** For padding: how many pad positions precede the tokens. */
  padTokens?: number;
}

/**
 * The mask of `kind` over n tokens. `window` for 'sliding'; `pad` pad positions for 'padding' (left-padded:
 * pads see nothing and are seen by nothing); 'encoderDecoder' splits the tokens into an encoder half (the first
 * ⌈n/2⌉) and a decoder half.
 */
export function attentionMask(kind: MaskKind, n: number, opts: { window?: number; pad?: number } = {}): AttentionMaskGrid {
  if (kind === 'padding') {
    const pad = opts.pad ?? 0;
    const size = n + pad;
    const allowed = new Uint8Array(size * size);
    for (let i = pad; i < size; i++) for (let j = pad; j <= i; j++) allowed[i * size + j] = 1;
    return { kind, rows: size, cols: size, allowed, padTokens: pad };
  }
  const allowed = new Uint8Array(n * n);
  if (kind === 'encoderDecoder') {
    const enc = Math.ceil(n / 2);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        // Encoder rows see every encoder token; decoder rows see every encoder token and earlier decoder tokens.
        const ok = i < enc ? j < enc : j < enc || j <= i;
        allowed[i * n + j] = ok ? 1 : 0;
      }
    }
    return { kind, rows: n, cols: n, allowed, encoderTokens: enc };
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let ok: boolean;
      if (kind === 'bidirectional') ok = true;
      else if (kind === 'sliding') ok = j <= i && i - j < Math.max(1, opts.window ?? n);
      else ok = j <= i;
      allowed[i * n + j] = ok ? 1 : 0;
    }
  }
  return { kind, rows: n, cols: n, allowed };
}

/** The keys query `row` may see (column indices), in order. */
export function visibleKeys(mask: AttentionMaskGrid, row: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < mask.cols; j++) if (mask.allowed[row * mask.cols + j]) out.push(j);
  return out;
}
