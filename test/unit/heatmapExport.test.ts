// Heatmap export builders: the SVG and the HTML document parse as well-formed XML, hostile token text stays
// text (no element, attribute or script can be injected), the size follows the grid, and colours are viridis.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeXml, heatmapHtml, heatmapLayout, heatmapSvg, viridis, type HeatmapSpec } from '../../src/core/index';
import { elementsNamed, parseXml, textOf, type XmlElement } from './xmlWellFormed';

const hostile = ['<script>alert(1)</script>', '"quoted" & \'apos\'', ']]> &amp; <!--', 'tab\there\nnew\u0000line', '한국어 토큰', '\ud800lone'];

function spec(): HeatmapSpec {
  const n = hostile.length;
  const values = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) values[i * n + j] = (i + j) / (2 * n - 2);
  values[1] = NaN;
  return { title: 'Layer 0 · head 1 <b>"attention"</b> & more', rowLabels: hostile, colLabels: hostile, values, legendLabel: 'weight <&>', cellSize: 12 };
}

function cellRects(root: XmlElement): XmlElement[] {
  return elementsNamed(root, 'rect').filter((r) => r.children.some((c) => typeof c !== 'string' && c.name === 'title'));
}

test('heatmapSvg: well-formed XML; hostile token text is escaped into text, never markup', () => {
  const s = spec();
  const svg = heatmapSvg(s);
  const root = parseXml(svg);
  assert.equal(root.name, 'svg');
  assert.equal(root.attrs.xmlns, 'http://www.w3.org/2000/svg');
  assert.equal(elementsNamed(root, 'script').length, 0, 'no script element');
  assert.equal(elementsNamed(root, 'b').length, 0, 'no element from the title');
  assert.ok(!/<script/i.test(svg));
  for (const e of [root, ...elementsNamed(root, 'rect'), ...elementsNamed(root, 'text')]) {
    for (const name of Object.keys(e.attrs)) assert.ok(!/^on/i.test(name), `no event attribute ${name}`);
  }
  // The title reads back exactly; every label reads back as its visible form.
  assert.equal(textOf(elementsNamed(root, 'title')[0]), s.title);
  const texts = elementsNamed(root, 'text').map(textOf);
  assert.ok(texts.includes(s.title));
  assert.ok(texts.includes('"quoted" & \'apos\''));
  assert.ok(texts.includes('<script>alert(1)</scrip…'), 'long labels are clipped on the axis');
  assert.ok(elementsNamed(root, 'title').some((t) => textOf(t).startsWith('<script>alert(1)</script> → ')), 'the tooltip keeps the whole token');
  assert.ok(texts.includes('tab\\there\\nnew\\x00line'), 'control characters shown as escapes');
  assert.ok(texts.includes('한국어 토큰'));
  assert.ok(texts.includes('\ufffdlone'), 'a lone surrogate becomes U+FFFD');
  assert.ok(texts.includes('weight <&>'));
  assert.equal(escapeXml('a<b>&"\''), 'a&lt;b&gt;&amp;&quot;&#39;');
});

test('heatmapSvg: size from the grid, one rect per cell with a tooltip, viridis colours, a legend with min and max', () => {
  const s = spec();
  const n = hostile.length;
  const root = parseXml(heatmapSvg(s));
  const layout = heatmapLayout(s);
  assert.equal(Number(root.attrs.width), layout.width);
  assert.equal(Number(root.attrs.height), layout.height);
  assert.equal(root.attrs.viewBox, `0 0 ${layout.width} ${layout.height}`);
  const cells = cellRects(root);
  assert.equal(cells.length, n * n);
  for (const [k, c] of cells.entries()) {
    assert.equal(Number(c.attrs.width), 12);
    assert.equal(Number(c.attrs.x), layout.gridX + (k % n) * 12);
    assert.equal(Number(c.attrs.y), layout.gridY + Math.floor(k / n) * 12);
    assert.ok(Number(c.attrs.x) + 12 <= layout.width && Number(c.attrs.y) + 12 <= layout.height, 'inside the figure');
  }
  assert.equal(cells[0].attrs.fill, '#440154', 'min = viridis(0)');
  assert.equal(cells[n * n - 1].attrs.fill, '#fde725', 'max = viridis(1)');
  assert.equal(cells[1].attrs.fill, 'none', 'NaN is drawn empty');
  assert.ok(textOf(cells[n + 0]).includes(`${hostile[1]} → ${hostile[0]}`), 'tooltip names query and key');
  assert.equal(elementsNamed(root, 'stop').length, 9);
  const legend = elementsNamed(root, 'g').find((g) => g.attrs.class === 'legend');
  assert.ok(legend);
  const legendTexts = elementsNamed(legend, 'text').map(textOf);
  assert.ok(legendTexts.includes('0') && legendTexts.includes('1') && legendTexts.includes('0.5'), legendTexts.join('|'));
  // Fixed scale ends are honoured.
  const fixed = parseXml(heatmapSvg({ ...s, min: 0, max: 2 }));
  assert.equal(cellRects(fixed)[n * n - 1].attrs.fill, viridis(0.5));
  assert.equal(viridis(0.5), '#21918c');
  assert.throws(() => heatmapSvg({ ...s, values: new Float32Array(3) }), /3 values for 6 rows × 6 columns/);
  // More columns, wider figure.
  assert.ok(heatmapLayout({ ...s, colLabels: [...hostile, 'x'], values: new Float32Array(n * (n + 1)) }).width >= layout.width);
});

test('heatmapHtml: a self-contained document (no scripts, no network), XHTML-parseable, with the escaped title and inline SVG', () => {
  const s = spec();
  const html = heatmapHtml(s, { lang: 'ko', description: 'A renormalised view <not the model\'s weights> & more' });
  assert.ok(html.startsWith('<!DOCTYPE html>'));
  const root = parseXml(html);
  assert.equal(root.name, 'html');
  assert.equal(root.attrs.lang, 'ko');
  assert.equal(elementsNamed(root, 'script').length, 0);
  assert.ok(!/<script/i.test(html));
  for (const tag of ['link', 'img', 'iframe', 'object', 'embed']) assert.equal(elementsNamed(root, tag).length, 0, `no <${tag}>`);
  // The only URLs are XML namespace names (never fetched).
  const urls = html.match(/https?:\/\/[^"'\s<>]+/g) ?? [];
  assert.deepEqual([...new Set(urls)].sort(), ['http://www.w3.org/1999/xhtml', 'http://www.w3.org/2000/svg']);
  const csp = elementsNamed(root, 'meta').find((m) => m.attrs['http-equiv'] === 'Content-Security-Policy');
  assert.ok(csp?.attrs.content.includes("default-src 'none'"));
  assert.equal(textOf(elementsNamed(root, 'title')[0]), s.title);
  assert.equal(textOf(elementsNamed(root, 'h1')[0]), s.title);
  assert.equal(textOf(elementsNamed(root, 'p')[0]), 'A renormalised view <not the model\'s weights> & more');
  assert.equal(cellRects(elementsNamed(root, 'svg')[0]).length, hostile.length ** 2);
  assert.equal(parseXml(heatmapHtml(s, { lang: '"><script>' })).attrs.lang, 'en', 'a bad language tag falls back to en');
});

test('the well-formedness checker itself rejects broken markup', () => {
  for (const bad of ['<a><b></a></b>', '<a x="1" x="2"/>', '<a>&nbsp;</a>', '<a>& b</a>', '<a x=1/>', '<a/><b/>', '<a>\u0000</a>', '<a x="<"/>']) {
    assert.throws(() => parseXml(bad), Error, bad);
  }
  assert.doesNotThrow(() => parseXml('<!DOCTYPE html>\n<a x=\'1\'>t &amp; &#233; &#x41;<b/></a>\n'));
});
