// Decomposed Korean: Hangul written as conjoining jamo (NFD, e.g. text from macOS file names) instead of
// precomposed syllables (NFC). Tokenizers see different bytes for the two, and NFD costs far more tokens.

// A leading consonant (choseong U+1100–U+1112) followed by a vowel (jungseong U+1161–U+1175) is one
// syllable that NFC composes (Unicode §3.12, Conjoining Jamo Behavior).
const DECOMPOSED_SYLLABLE = /[\u1100-\u1112][\u1161-\u1175]/g;

/** Number of decomposed Hangul syllables in `text` (0 for composed Korean and for other scripts). */
export function decomposedHangulSyllables(text: string): number {
  let n = 0;
  DECOMPOSED_SYLLABLE.lastIndex = 0;
  while (DECOMPOSED_SYLLABLE.exec(text) !== null) n++;
  return n;
}
