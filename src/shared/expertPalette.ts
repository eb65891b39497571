// Colours for the experts of a mixture-of-experts layer, distinct for any expert count (issue 15). Up to 7 experts
// use Okabe–Ito (colour-blind safe); more use a hue wheel in OKLCH with lightness steps, so every expert gets its own
// colour. Beyond a dozen or so experts no palette stays easy to tell apart by eye, which is why the view also labels
// every chip and bar with the expert's number: the colour groups, the number decides.

/** The theme kinds VS Code puts on a webview's <body>. */
export type PaletteTheme = 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';

/** Okabe & Ito, "Color Universal Design" (2002), without black: the palette for up to 7 experts. */
const OKABE_ITO = ['#E69F00', '#56B4E9', '#009E73', '#F0E442', '#0072B2', '#D55E00', '#CC79A7'] as const;

/**
 * OKLab → sRGB, from Björn Ottosson, "A perceptual color space for image processing" (2020,
 * bottosson.github.io/posts/oklab): the matrices of its reference conversion. Returns linear-light channels
 * (may fall outside [0, 1] when the colour is out of gamut).
 */
function oklabToLinearSrgb(L: number, a: number, b: number): [number, number, number] {
  const l = (L + 0.3963377774 * a + 0.2158037573 * b) ** 3;
  const m = (L - 0.1055613458 * a - 0.0638541728 * b) ** 3;
  const s = (L - 0.0894841775 * a - 1.291485548 * b) ** 3;
  return [
    4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s,
    -1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s,
    -0.0041960863 * l - 0.7034186147 * m + 1.707614701 * s,
  ];
}

/** sRGB's transfer function (IEC 61966-2-1), linear [0, 1] → 0..255. */
function encodeSrgb(c: number): number {
  const v = c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055;
  return Math.round(Math.min(1, Math.max(0, v)) * 255);
}

/** An OKLCH colour as #rrggbb; the chroma is lowered until the colour fits in sRGB (hue and lightness kept). */
export function oklchToHex(L: number, C: number, hueDegrees: number): string {
  const h = (hueDegrees * Math.PI) / 180;
  let chroma = C;
  let rgb = oklabToLinearSrgb(L, chroma * Math.cos(h), chroma * Math.sin(h));
  while (chroma > 0 && rgb.some((c) => c < -1e-4 || c > 1 + 1e-4)) {
    chroma = Math.max(0, chroma - 0.005);
    rgb = oklabToLinearSrgb(L, chroma * Math.cos(h), chroma * Math.sin(h));
  }
  return `#${rgb.map((c) => encodeSrgb(c).toString(16).padStart(2, '0')).join('')}`;
}

/** Lightness steps per theme: mid-tones that stand out from the editor background (dark themes sit higher). */
const LIGHTNESS: Record<PaletteTheme, readonly number[]> = {
  light: [0.62, 0.45, 0.78],
  'high-contrast-light': [0.55, 0.4, 0.7],
  dark: [0.72, 0.56, 0.86],
  'high-contrast': [0.76, 0.6, 0.9],
};

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * One colour per expert (#rrggbb, index = expert id), all different for any `count`. Above 7 experts: `levels`
 * lightness steps (1 up to 12 experts, 2 up to 32, else 3) of ⌈count / levels⌉ evenly spaced hues (with one step,
 * every other hue a little darker); consecutive
 * expert ids are spread around the wheel (a stride near the golden section) so experts 3 and 4 do not look alike.
 */
export function expertPalette(count: number, theme: PaletteTheme = 'light'): string[] {
  const n = Math.max(0, Math.floor(count));
  if (n <= OKABE_ITO.length) return OKABE_ITO.slice(0, n);
  const lightness = LIGHTNESS[theme];
  const levels = n <= 12 ? 1 : n <= 32 ? 2 : 3;
  const hues = Math.ceil(n / levels);
  // The stride: the integer nearest hues × 0.382 that shares no factor with `hues` (so it visits every slot).
  let stride = Math.max(1, Math.round(hues * 0.381966));
  while (gcd(stride, hues) !== 1) stride++;
  return Array.from({ length: n }, (_, e) => {
    const slot = (e % hues) * stride % hues;
    const level = Math.floor(e / hues);
    // With one level, neighbouring hues alternate lightness a little, so 8–12 experts stay apart.
    const L = levels === 1 && slot % 2 === 1 ? lightness[0] - 0.12 : lightness[level];
    // 0.13 chroma keeps most hues inside sRGB at these lightnesses; 25° starts the wheel at a red, not pink.
    return oklchToHex(L, 0.13, 25 + (slot * 360) / hues);
  });
}
