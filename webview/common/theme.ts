// Theme colours from VS Code's --vscode-* CSS variables, and colour scales that stay readable and
// colour-blind safe in light, dark and high-contrast themes.

/** The value of a CSS variable on <body>, e.g. cssVar('--vscode-editor-foreground'). */
export function cssVar(name: string, fallback = ''): string {
  const value = getComputedStyle(document.body).getPropertyValue(name).trim();
  return value || fallback;
}

/** The current theme kind, from the class VS Code puts on <body>. */
export function themeKind(): 'light' | 'dark' | 'high-contrast' | 'high-contrast-light' {
  const classes = document.body.classList;
  if (classes.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (classes.contains('vscode-high-contrast')) return 'high-contrast';
  if (classes.contains('vscode-light')) return 'light';
  return 'dark';
}

/** Calls `listener` whenever VS Code switches theme (it changes <body>'s class); returns a disposer. */
export function onThemeChange(listener: () => void): () => void {
  const observer = new MutationObserver(() => listener());
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  return () => observer.disconnect();
}

/**
 * Okabe–Ito, the colour-blind-safe qualitative palette (Okabe & Ito, "Color Universal Design", 2002),
 * without black: categorical colours such as token chips and KV-head groups.
 */
export const categoricalPalette = ['#E69F00', '#56B4E9', '#009E73', '#F0E442', '#0072B2', '#D55E00', '#CC79A7'] as const;

/** The categorical colour of index `i`. */
export function categoricalColour(i: number): string {
  return categoricalPalette[((i % categoricalPalette.length) + categoricalPalette.length) % categoricalPalette.length];
}

// Anchor points of the viridis colour map (perceptually uniform, colour-blind safe; matplotlib's
// published values at 0, 0.25, 0.5, 0.75, 1).
const viridis: readonly [number, number, number][] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

/** A sequential colour for t in [0, 1] (viridis), as [r, g, b] in 0..255. */
export function sequentialRgb(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (viridis.length - 1);
  const i = Math.min(viridis.length - 2, Math.floor(x));
  const f = x - i;
  const a = viridis[i];
  const b = viridis[i + 1];
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

/** A sequential colour for t in [0, 1] as a CSS rgb() string. */
export function sequentialColour(t: number): string {
  const [r, g, b] = sequentialRgb(t);
  return `rgb(${r}, ${g}, ${b})`;
}

/** Black or white, whichever reads better on the background [r, g, b] (WCAG relative luminance). */
export function textOn(rgb: readonly [number, number, number]): string {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2]);
  return luminance > 0.179 ? '#000000' : '#ffffff';
}
