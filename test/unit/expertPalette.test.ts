// The MoE view's expert colours (issue 15): one distinct colour per expert at any count, Okabe–Ito up to 7, and the
// lightness steps actually reached — checked with the FORWARD sRGB → OKLab conversion (the palette only has the
// inverse), so a wrong matrix or transfer function in the palette shows up here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expertPalette, type PaletteTheme } from '../../src/shared/expertPalette';

const themes: PaletteTheme[] = ['light', 'dark', 'high-contrast', 'high-contrast-light'];

/** #rrggbb → OKLab (Ottosson 2020: linear sRGB → LMS → cube root → Lab). */
function oklab(hex: string): [number, number, number] {
  const v = Number.parseInt(hex.slice(1), 16);
  const lin = [(v >> 16) & 255, (v >> 8) & 255, v & 255].map((c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  const [r, g, b] = lin;
  const l = Math.cbrt(0.4122214708 * r + 0.5363836012 * g + 0.0514459929 * b);
  const m = Math.cbrt(0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b);
  const s = Math.cbrt(0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b);
  return [
    0.2104542553 * l + 0.793617785 * m - 0.0040720468 * s,
    1.9779984951 * l - 2.428592205 * m + 0.4505937099 * s,
    0.0259040371 * l + 0.7827717662 * m - 0.808675766 * s,
  ];
}

function minDistance(colours: string[]): number {
  let min = Infinity;
  const lab = colours.map(oklab);
  for (let i = 0; i < lab.length; i++) {
    for (let j = i + 1; j < lab.length; j++) min = Math.min(min, Math.hypot(lab[i][0] - lab[j][0], lab[i][1] - lab[j][1], lab[i][2] - lab[j][2]));
  }
  return min;
}

test('up to 7 experts: the Okabe–Ito colours, in every theme', () => {
  for (const theme of themes) {
    assert.deepEqual(expertPalette(7, theme), ['#E69F00', '#56B4E9', '#009E73', '#F0E442', '#0072B2', '#D55E00', '#CC79A7']);
    assert.deepEqual(expertPalette(2, theme), ['#E69F00', '#56B4E9']);
  }
  assert.deepEqual(expertPalette(0), []);
});

test('every expert gets its own colour for any count up to 256 (the old palette repeated at the 8th)', () => {
  for (const theme of themes) {
    for (let n = 1; n <= 256; n++) {
      const colours = expertPalette(n, theme);
      assert.equal(colours.length, n);
      assert.equal(new Set(colours).size, n, `${n} experts in ${theme}: ${colours.join(' ')}`);
      for (const c of colours) assert.match(c, /^#[0-9a-fA-F]{6}$/);
    }
  }
});

test('few experts are far apart: 8 (the embedded model, Mixtral) and 12 experts keep a visible OKLab distance', () => {
  for (const theme of themes) {
    // ΔE_ok ≈ 0.02 is a just-noticeable difference; these are several times that.
    assert.ok(minDistance(expertPalette(8, theme)) > 0.1, `8 experts, ${theme}: ${minDistance(expertPalette(8, theme))}`);
    assert.ok(minDistance(expertPalette(12, theme)) > 0.08, `12 experts, ${theme}: ${minDistance(expertPalette(12, theme))}`);
    // Consecutive expert ids (often neighbours in a list) are never near each other on the wheel.
    const p = expertPalette(64, theme);
    for (let e = 0; e + 1 < 64; e++) assert.ok(minDistance([p[e], p[e + 1]]) > 0.05, `experts ${e} and ${e + 1} of 64 in ${theme}`);
  }
});

test('the colours sit on the theme\'s lightness steps (forward OKLab of the output), lighter on dark themes', () => {
  const steps: Record<PaletteTheme, number[]> = { light: [0.62, 0.45, 0.78], 'high-contrast-light': [0.55, 0.4, 0.7], dark: [0.72, 0.56, 0.86], 'high-contrast': [0.76, 0.6, 0.9] };
  for (const theme of themes) {
    // 128 experts (Qwen3-30B-A3B): 3 steps of 43 hues.
    const colours = expertPalette(128, theme);
    colours.forEach((c, e) => {
      const L = oklab(c)[0];
      const want = steps[theme][Math.floor(e / 43)];
      assert.ok(Math.abs(L - want) < 0.01, `expert ${e} in ${theme}: L ${L.toFixed(3)}, step ${want}`);
    });
  }
});
