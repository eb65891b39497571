// The hover and walkthrough Markdown, rendered with markdown-it (a CommonMark renderer, independent of ours).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { glossaryChapters, glossaryEntries, glossaryEntry } from '../../src/core/glossary/glossary';
import { chapterMarkdown, commandUri, escapeMarkdown, glossaryHoverMarkdown, type GlossaryHoverLabels } from '../../src/core/glossary/markdown';
import type { GlossaryEntry } from '../../src/core/glossary/types';

interface MarkdownIt {
  render(src: string): string;
  renderInline(src: string): string;
}
// markdown-it ships without typings here (it comes with @vscode/vsce): load it and type what is used.
const markdownIt = createRequire(__filename)('markdown-it') as () => MarkdownIt;
const md = markdownIt();

/** The visible text of rendered HTML: tags dropped, entities decoded. */
function visibleText(html: string): string {
  return html
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
}

const labels: GlossaryHoverLabels = {
  example: 'Example:',
  related: 'Related:',
  openGlossary: 'Open in Glossary',
  openPanel: { tokenize: 'Open the Tokenization panel', attention: 'Open the Attention panel', kvcache: 'Open the KV cache panel' },
};
const links = {
  glossary: (id: string) => commandUri('llmLens.openGlossary', [{ term: id }]),
  panel: (panel: string) => (panel === 'kvcache' ? commandUri('llmLens.showKvCache') : undefined),
};

function entry(id: string): GlossaryEntry {
  const e = glossaryEntry(id);
  assert.ok(e);
  return e;
}

test('escapeMarkdown: every text of every entry renders exactly as written', () => {
  const texts = glossaryEntries().flatMap((e) => [e.name.en, e.name.ko, e.definition.en, e.definition.ko, e.example.en, e.example.ko]);
  texts.push('*not bold* _not italic_ `no code` [no](link) <b>no html</b> &amp; $(eye) ~~x~~', '# not a heading', '- not a list', '1. not a list', '> no quote');
  for (const text of texts) assert.equal(visibleText(md.render(escapeMarkdown(text))).trim(), text, text);
});

test('the hover shows both names, the definition and example in the chosen language, the formula, related terms and links', () => {
  const gqa = entry('gqa');
  const ko = glossaryHoverMarkdown(gqa, 'ko', labels, links);
  const html = md.render(ko);
  const text = visibleText(html);
  assert.ok(text.startsWith(`${gqa.name.ko} (GQA) · ${gqa.name.en}`), text.slice(0, 80));
  assert.ok(text.includes(gqa.definition.ko) && text.includes(gqa.example.ko));
  assert.ok(!text.includes(gqa.definition.en), 'Korean only');
  const code = /<code>([^<]*)<\/code>/.exec(html);
  assert.equal(visibleText(code?.[1] ?? ''), gqa.formula, 'the formula is a code span');
  for (const id of gqa.related) {
    assert.ok(html.includes(`href="command:llmLens.openGlossary?${encodeURIComponent(JSON.stringify([{ term: id }]))}"`), id);
    assert.ok(text.includes(entry(id).name.ko), id);
  }
  assert.ok(html.includes('href="command:llmLens.showKvCache"') && text.includes('$(graph) Open the KV cache panel'));

  const en = visibleText(md.render(glossaryHoverMarkdown(gqa, 'en', labels, links)));
  assert.ok(en.startsWith(`${gqa.name.en} (GQA) · ${gqa.name.ko}`));
  assert.ok(en.includes(gqa.definition.en) && !en.includes(gqa.definition.ko));
  const both = visibleText(md.render(glossaryHoverMarkdown(gqa, 'both', labels, links)));
  assert.ok(both.indexOf(gqa.definition.en) >= 0 && both.indexOf(gqa.definition.en) < both.indexOf(gqa.definition.ko));
  assert.ok(both.includes(gqa.example.en) && both.includes(gqa.example.ko));
});

test('links are left out when there is no target; entries without a formula or panel have none', () => {
  const sycophancy = entry('sycophancy');
  const text = glossaryHoverMarkdown(sycophancy, 'en', labels, { glossary: () => undefined, panel: () => undefined });
  assert.ok(!text.includes('command:'));
  assert.ok(!text.includes('`'), 'no formula');
  const attention = glossaryHoverMarkdown(entry('softmax'), 'en', labels, links);
  assert.ok(!attention.includes('Open the Attention panel'), 'the panel link needs a target');
});

test('commandUri encodes its arguments as VS Code expects', () => {
  assert.equal(commandUri('llmLens.showKvCache'), 'command:llmLens.showKvCache');
  const uri = commandUri('llmLens.openGlossary', [{ term: 'gqa' }]);
  assert.deepEqual(JSON.parse(decodeURIComponent(uri.slice(uri.indexOf('?') + 1))), [{ term: 'gqa' }]);
});

test('chapter pages list every term of the chapter with its names and definition', () => {
  for (const chapter of glossaryChapters()) {
    for (const language of ['en', 'ko'] as const) {
      const text = visibleText(md.render(chapterMarkdown(chapter, glossaryEntries(), language)));
      assert.ok(text.startsWith(chapter.title[language]), `${chapter.id} ${language}`);
      for (const e of glossaryEntries()) {
        const listed = text.includes(e.definition[language]);
        assert.equal(listed, e.chapter === chapter.id, `${chapter.id}/${language}: ${e.id}`);
        if (listed) assert.ok(text.includes(e.name.en) && text.includes(e.name.ko));
      }
    }
  }
});
