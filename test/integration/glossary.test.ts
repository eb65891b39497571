import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { glossaryEntry } from '../../src/core/glossary/glossary';
import type { GlossaryEntry } from '../../src/core/glossary/types';
import { closeAll, llmLens, openText, waitFor } from './helpers';

type Setting = 'glossaryLanguage' | 'glossaryHover.languages' | 'glossaryHover.onlyInCommentsAndStrings';

async function set(key: Setting, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('llmLens').update(key, value, vscode.ConfigurationTarget.Global);
}

function entry(id: string): GlossaryEntry {
  const e = glossaryEntry(id);
  assert.ok(e, id);
  return e;
}

/** The Markdown of LLM Lens's hovers at the first occurrence of `needle` (other extensions' hovers left out). */
async function lensHover(content: string, language: string, needle: string): Promise<{ text: string; hovers: vscode.Hover[]; range?: vscode.Range }> {
  const { document } = await openText(content, language);
  const at = document.positionAt(content.indexOf(needle) + 1);
  const all = (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, at)) ?? [];
  const hovers = all.filter((h) => h.contents.some((c) => c instanceof vscode.MarkdownString && c.value.includes('command:llmLens.openGlossary')));
  const text = hovers.flatMap((h) => h.contents.map((c) => (c instanceof vscode.MarkdownString ? c.value : String(c)))).join('\n');
  return { text: unescape(text), hovers, range: hovers[0]?.range };
}

/** Markdown without backslash escapes, to compare with the glossary's plain text. */
function unescape(markdown: string): string {
  return markdown.replace(/\\([\\`*_[\]<>&$~#+\-=.)])/g, '$1');
}

describe('Glossary hovers', () => {
  before(async () => {
    await llmLens();
  });
  afterEach(async () => {
    for (const key of ['glossaryLanguage', 'glossaryHover.languages', 'glossaryHover.onlyInCommentsAndStrings'] as const) await set(key, undefined);
    await closeAll();
  });

  it('explains a term in Markdown, in English: both names, definition, formula, example, related terms, panel link', async () => {
    await set('glossaryLanguage', 'en');
    const gqa = entry('gqa');
    const content = '# Notes\n\nLlama 3 uses GQA to shrink its cache.';
    const { text, range } = await lensHover(content, 'markdown', 'GQA');
    assert.ok(text.includes(gqa.name.en) && text.includes(gqa.name.ko), 'names in both languages');
    assert.ok(text.includes(gqa.definition.en), 'English definition');
    assert.ok(!text.includes(gqa.definition.ko), 'not the Korean one');
    assert.ok(text.includes(`\`${gqa.formula}\``), 'formula');
    assert.ok(text.includes(gqa.example.en), 'example');
    assert.ok(text.includes(entry('mqa').name.en), 'related term');
    assert.ok(text.includes('(command:llmLens.showKvCache)'), 'link to the KV cache panel');
    assert.equal(range?.start.character, content.split('\n')[2].indexOf('GQA'));
    assert.equal(range?.end.character, content.split('\n')[2].indexOf('GQA') + 3);
  });

  it('explains a Korean term with a particle attached, in Korean', async () => {
    await set('glossaryLanguage', 'ko');
    const gqa = entry('gqa');
    const { text } = await lensHover('그룹 쿼리 어텐션은 KV 캐시를 줄입니다.', 'markdown', '어텐션은');
    assert.ok(text.includes(gqa.definition.ko) && text.includes(gqa.example.ko));
    assert.ok(!text.includes(gqa.definition.en));
    assert.ok(text.includes(gqa.name.en), 'the English name is shown too');
  });

  it('"both" shows English then Korean', async () => {
    await set('glossaryLanguage', 'both');
    const kv = entry('kv-cache');
    const { text } = await lensHover('the KV cache grows', 'plaintext', 'KV cache');
    assert.ok(text.indexOf(kv.definition.en) >= 0 && text.indexOf(kv.definition.en) < text.indexOf(kv.definition.ko));
  });

  it('hovers TypeScript comments but not code (unless allowed everywhere)', async () => {
    await set('glossaryLanguage', 'en');
    const ts = 'const softmax = (x: number[]) => x; // softmax turns scores into weights\n/* RoPE rotates q and k */\n';
    const inComment = await lensHover(ts, 'typescript', 'softmax turns');
    assert.ok(inComment.text.includes(entry('softmax').definition.en));
    const inBlock = await lensHover(ts, 'typescript', 'RoPE');
    assert.ok(inBlock.text.includes(entry('rope').definition.en));
    const inCode = await lensHover(ts, 'typescript', 'softmax =');
    assert.equal(inCode.hovers.length, 0, 'no glossary hover on code');
    await set('glossaryHover.onlyInCommentsAndStrings', false);
    const everywhere = await lensHover(ts, 'typescript', 'softmax =');
    assert.ok(everywhere.text.includes(entry('softmax').definition.en));
  });

  it('hovers Python docstrings and comments, in English and Korean', async () => {
    const py = 'def rotate(q):\n    """Apply RoPE to the queries (회전 위치 임베딩을 적용)."""\n    return q  # after RMSNorm\n';
    await set('glossaryLanguage', 'en');
    assert.ok((await lensHover(py, 'python', 'RoPE')).text.includes(entry('rope').definition.en));
    assert.ok((await lensHover(py, 'python', 'RMSNorm')).text.includes(entry('rmsnorm').definition.en));
    await set('glossaryLanguage', 'ko');
    assert.ok((await lensHover(py, 'python', '회전 위치')).text.includes(entry('rope').definition.ko));
    assert.equal((await lensHover(py, 'python', 'rotate')).hovers.length, 0);
  });

  it('hovers plain text in English and Korean; no hits inside words', async () => {
    await set('glossaryLanguage', 'ko');
    const plain = '토큰화가 먼저입니다. The property of a tokenizer.';
    assert.ok((await lensHover(plain, 'plaintext', '토큰화가')).text.includes(entry('tokenization').definition.ko));
    assert.equal((await lensHover(plain, 'plaintext', 'property')).hovers.length, 0);
    await set('glossaryLanguage', 'en');
    assert.ok((await lensHover(plain, 'plaintext', 'tokenizer')).text.includes(entry('tokenizer').definition.en));
  });

  it('respects the languages setting', async () => {
    await set('glossaryHover.languages', ['markdown']);
    assert.equal((await lensHover('GQA', 'plaintext', 'GQA')).hovers.length, 0);
    assert.equal((await lensHover('GQA', 'markdown', 'GQA')).hovers.length, 1);
  });

  it('trusts only LLM Lens commands in its links', async () => {
    const { hovers, text } = await lensHover('MoE and GQA', 'markdown', 'GQA');
    const contents = hovers[0].contents[0] as vscode.MarkdownString;
    assert.notEqual(contents.isTrusted, true, 'not trusted for every command');
    const trusted = contents.isTrusted as { enabledCommands: readonly string[] } | undefined;
    assert.ok(trusted && trusted.enabledCommands.length > 0 && trusted.enabledCommands.every((c) => c.startsWith('llmLens.')));
    for (const [, command] of text.matchAll(/\(command:([\w.]+)/g)) assert.ok(trusted.enabledCommands.includes(command), command);
  });
});

describe('LLM Lens: Open Glossary and the walkthrough', () => {
  afterEach(async () => {
    await set('glossaryLanguage', undefined);
    await closeAll();
  });

  it('opens the glossary at a term from a hover link, with every chapter and entry', async () => {
    const api = await llmLens();
    await vscode.commands.executeCommand('llmLens.openGlossary', { term: 'gqa' });
    await waitFor('the glossary webview to say ready', () => api.isPanelReady('glossary'));
    const snapshot = await waitFor('a glossary snapshot focused on GQA', () => {
      const s = api.snapshotOf('glossary');
      return s?.focus?.term === 'gqa' ? s : undefined;
    });
    assert.deepEqual(
      snapshot.chapters.map((c) => c.id),
      ['architecture', 'efficiency', 'position', 'components', 'moe', 'tokenization', 'training', 'decoding'],
    );
    assert.ok(snapshot.entries.length >= 50);
    assert.ok(snapshot.panels.includes('kvcache') && snapshot.panels.includes('attention'));
    assert.equal(snapshot.language, vscode.env.language.startsWith('ko') ? 'ko' : 'en');
    await set('glossaryLanguage', 'both');
    await waitFor('the snapshot to follow the setting', () => api.snapshotOf('glossary')?.language === 'both' || undefined);
  });

  it('a walkthrough chapter opens its panel on an untitled copy of a sample file, or the glossary at the chapter', async () => {
    const api = await llmLens();
    const extensionPath = vscode.extensions.getExtension('llm-lens.llm-lens')?.extensionPath ?? '';
    const sampleText = (name: string) => readFileSync(join(extensionPath, 'media', 'samples', name), 'utf8');
    /** The sample is open as an untitled copy (same text and language), never as the extension's own file. */
    const assertCopy = (name: string, language: string) => {
      const text = sampleText(name);
      const shown = vscode.window.visibleTextEditors.map((e) => e.document).filter((d) => d.getText() === text);
      assert.ok(shown.length > 0, `${name}'s text is open in an editor`);
      for (const document of shown) {
        assert.equal(document.uri.scheme, 'untitled', `${name} is an untitled copy, not ${document.uri.toString()}`);
        assert.equal(document.languageId, language);
      }
      const own = vscode.workspace.textDocuments.filter((d) => d.uri.scheme === 'file' && d.uri.fsPath.startsWith(join(extensionPath, 'media')));
      assert.deepEqual(own.map((d) => d.uri.fsPath), [], 'no file of the extension is open in an editor');
    };
    await vscode.commands.executeCommand('llmLens.learnChapter', 'efficiency');
    await waitFor('the KV cache panel', () => api.isPanelReady('kvcache'));
    const kv = await waitFor('a KV cache snapshot of the sample config.json', () => api.snapshotOf('kvcache')?.config ?? undefined);
    assert.ok(kv.uri.startsWith('untitled:'), kv.uri);
    assertCopy('config.json', 'json');
    await closeAll();
    await vscode.commands.executeCommand('llmLens.learnChapter', 'training');
    await waitFor('the glossary at the training chapter', () => api.snapshotOf('glossary')?.focus?.chapter === 'training' || undefined);
    assertCopy('notes.md', 'markdown');
    await closeAll();
    // Tokenization: the Tokenization panel on the sample's selected `attend` function.
    await vscode.commands.executeCommand('llmLens.learnChapter', 'tokenization');
    const tokens = await waitFor('a tokenization of the sample', () => {
      const t = api.snapshotOf('tokenizer');
      return t?.source && t.text.startsWith('export function attend') ? t : undefined;
    });
    assert.ok(tokens.source?.selection, 'the selection, not the whole file');
    assertCopy('attention.ts', 'typescript');
    await vscode.commands.executeCommand('workbench.action.openWalkthrough', 'llm-lens.llm-lens#learnLlmBasics', false);
  });
});
