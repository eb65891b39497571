import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { get_encoding, type Tiktoken } from '@dqbd/tiktoken';
import { closeAll, llmLens, openText, waitFor } from './helpers';
import type { TokenizerSnapshot } from '../../src/shared/protocol';
import { processAlive } from '../support/processes';

// Expected counts come from @dqbd/tiktoken (OpenAI's tiktoken as WASM), independent of the extension's
// gpt-tokenizer; the default tokenizer (llmLens.defaultTokenizer) is o200k_base.
let o200k: Tiktoken | undefined;
function o200kCount(text: string): number {
  o200k ??= get_encoding('o200k_base');
  return o200k.encode_ordinary(text).length;
}

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** Waits for a tokenizer snapshot that satisfies `check`. */
async function tokenizerSnapshot(what: string, check: (s: TokenizerSnapshot) => boolean, timeoutMs = 120_000): Promise<TokenizerSnapshot> {
  const api = await llmLens();
  return waitFor(what, () => {
    const s = api.snapshotOf('tokenizer');
    return s && check(s) ? s : undefined;
  }, timeoutMs);
}

/** Real TypeScript source (TypeScript's own compiler) of about `chars` characters, cut at a line end. */
function realSource(chars: number): string {
  const folder = vscode.extensions.getExtension('llm-lens.llm-lens')?.extensionPath ?? '';
  const text = readFileSync(join(folder, 'node_modules', 'typescript', 'lib', 'typescript.js'), 'utf8').slice(300_000, 300_000 + chars + 200);
  return text.slice(0, text.lastIndexOf('\n', chars) + 1);
}

describe('LLM Lens: Tokenize Selection', function () {
  // The first run starts a tokenizer process and loads vocabularies (all five for the comparison): slow on a busy machine.
  this.timeout(240_000);
  afterEach(closeAll);
  after(() => o200k?.free());

  it('is in the palette (with the category) and in the editor context menu', async () => {
    await llmLens();
    assert.ok((await vscode.commands.getCommands(true)).includes('llmLens.tokenizeSelection'));
    const manifest = vscode.extensions.getExtension('llm-lens.llm-lens')?.packageJSON as {
      contributes: { commands: { command: string; category: string }[]; menus: Record<string, { command: string }[]> };
    };
    assert.ok(manifest.contributes.commands.find((c) => c.command === 'llmLens.tokenizeSelection')?.category);
    assert.ok(manifest.contributes.menus['editor/context'].some((m) => m.command === 'llmLens.tokenizeSelection'));
  });

  it('on a selection posts the selection\'s tokens and counts to the panel', async () => {
    const api = await llmLens();
    // CRLF throughout: VS Code normalizes a document's line endings to one kind.
    const content = 'const greeting = "안녕하세요, world!";\r\n\tconsole.log(greeting); // 👋🏽 done\r\n';
    const start = content.indexOf('"');
    const end = content.indexOf('// 👋');
    const editor = await openText(content, 'typescript');
    editor.selection = new vscode.Selection(editor.document.positionAt(start), editor.document.positionAt(end));
    const selected = editor.document.getText(editor.selection);
    assert.equal(selected, content.slice(start, end));
    await vscode.commands.executeCommand('llmLens.tokenizeSelection');
    await waitFor('the tokenizer webview to say ready', () => api.isPanelReady('tokenizer'));
    const s = await tokenizerSnapshot('tokens of the selection', (x) => x.tokenization !== null && x.text === selected);
    assert.equal(s.tokenizerId, 'o200k_base');
    assert.equal(s.source?.selection, true);
    assert.equal(s.stats?.tokens, o200kCount(selected));
    assert.equal(s.stats?.characters, Array.from(selected).length);
    assert.equal(s.stats?.bytes, utf8(selected));
    const t = s.tokenization;
    assert.ok(t);
    assert.equal(t.ids.length, s.stats?.tokens);
    // The tokens' pieces, in order, spell the selection byte for byte; UTF-16 ranges are ordered and inside it.
    for (let i = 0; i < t.ids.length; i++) {
      assert.ok(t.starts[i] < t.ends[i] && t.ends[i] <= selected.length);
      if (i > 0) assert.ok(t.starts[i] >= t.starts[i - 1] && t.ends[i] >= t.ends[i - 1]);
    }
    assert.equal(t.ends[t.ids.length - 1], selected.length);
    const pieces = new Map<number, Buffer>();
    for (let k = 0; k < t.pieceIds.length; k++) pieces.set(t.pieceIds[k], Buffer.from(t.pieceBytes.subarray(t.pieceOffsets[k], t.pieceOffsets[k + 1])));
    assert.equal(Buffer.concat(Array.from(t.ids, (id) => pieces.get(id) ?? Buffer.alloc(0))).toString('utf8'), selected);
  });

  it('without a selection tokenizes the whole document, and compares every tokenizer on it', async () => {
    await llmLens();
    const content = 'def tokens(text):\n    return text.split()\n\n# 토큰화 예시\nprint(tokens("hello world"))\n';
    const editor = await openText(content, 'python');
    editor.selection = new vscode.Selection(0, 0, 0, 0);
    await vscode.commands.executeCommand('llmLens.tokenizeSelection');
    const s = await tokenizerSnapshot('a comparison of every tokenizer', (x) => x.text === content && x.comparison?.pending === false, 200_000);
    assert.equal(s.source?.selection, false);
    assert.equal(s.stats?.tokens, o200kCount(content));
    const rows = s.comparison?.rows ?? [];
    // The built-in tokenizers first (a user's tokenizer.json, once added, follows them).
    assert.deepEqual(rows.slice(0, 6).map((r) => r.id), ['o200k_base', 'cl100k_base', 'llama3', 'qwen3', 'deepseek_v3', 'embedded']);
    assert.equal(rows[0].tokens, o200kCount(content));
    const counted = rows.filter((r) => r.tokens !== null);
    assert.ok(counted.length >= 5, 'the five shipped tokenizers all count');
    const cheapest = Math.min(...counted.map((r) => r.tokens as number));
    for (const r of counted) {
      assert.ok(Math.abs((r.ratioToCheapest ?? 0) - (r.tokens as number) / cheapest) < 1e-9, `${r.id} ratio`);
      assert.ok(Math.abs((r.bytesPerToken ?? 0) - utf8(content) / (r.tokens as number)) < 1e-9, `${r.id} bytes per token`);
    }
  });

  it('works in a notebook cell (the cell is the whole document)', async () => {
    await llmLens();
    const source = 'print("안녕")\nanswer = 6 * 7\n';
    const notebook = await vscode.workspace.openNotebookDocument(
      'jupyter-notebook',
      new vscode.NotebookData([new vscode.NotebookCellData(vscode.NotebookCellKind.Code, source, 'python')]),
    );
    await vscode.window.showNotebookDocument(notebook);
    const cell = notebook.cellAt(0).document;
    const editor = await vscode.window.showTextDocument(cell);
    editor.selection = new vscode.Selection(0, 0, 0, 0);
    assert.equal(vscode.window.activeTextEditor?.document.uri.scheme, 'vscode-notebook-cell');
    await vscode.commands.executeCommand('llmLens.tokenizeSelection');
    const s = await tokenizerSnapshot('tokens of the cell', (x) => x.text === cell.getText() && x.tokenization !== null);
    assert.equal(s.stats?.tokens, o200kCount(cell.getText()));
  });

  it('detects decomposed (NFD) Korean and reports its composed (NFC) count', async () => {
    await llmLens();
    const nfc = '토큰화는 언어 모델이 텍스트를 읽는 첫 단계입니다.';
    const nfd = nfc.normalize('NFD');
    await openText(nfd, 'markdown');
    await vscode.commands.executeCommand('llmLens.tokenizeSelection');
    const s = await tokenizerSnapshot('the NFD notice', (x) => x.text === nfd && x.tokenization !== null);
    assert.ok(s.nfd, 'the notice is there');
    assert.equal(s.nfd.decomposedSyllables, Array.from(nfc).filter((c) => /[가-힣]/.test(c)).length);
    assert.equal(s.nfd.tokens, o200kCount(nfd));
    assert.equal(s.nfd.nfcTokens, o200kCount(nfc));
    assert.ok(s.nfd.nfcTokens < s.nfd.tokens);
  });

  it('tokenizes a large document off the extension host thread with the same counts', async () => {
    await llmLens();
    const content = realSource(300_000);
    // Plain text: the built-in JavaScript language service would otherwise busy the same host with a 300 KB file.
    await openText(content, 'plaintext', new vscode.Selection(0, 0, 0, 0));
    // While the tokenizer process tokenizes, the extension host's event loop keeps running timers on time. The machine
    // may be busy, so the lag is compared with the same probe's lag over an idle window just before.
    const lagProbe = () => {
      let worst = 0;
      let last = Date.now();
      const timer = setInterval(() => {
        const now = Date.now();
        worst = Math.max(worst, now - last - 10);
        last = now;
      }, 10);
      return { stop: () => (clearInterval(timer), worst) };
    };
    const idle = lagProbe();
    await new Promise((r) => setTimeout(r, 1500));
    const idleLag = idle.stop();
    const started = Date.now();
    const probe = lagProbe();
    let worstLag = 0;
    try {
      await vscode.commands.executeCommand('llmLens.tokenizeSelection');
      const s = await tokenizerSnapshot('tokens of the large document', (x) => x.text === content && x.tokenization !== null, 200_000);
      assert.equal(s.stats?.tokens, o200kCount(content));
    } finally {
      worstLag = probe.stop();
    }
    assert.ok(
      worstLag < 500 + 2 * idleLag,
      `the extension host stayed responsive (worst timer lag ${worstLag} ms over ${Date.now() - started} ms; ${idleLag} ms when idle)`,
    );
  });

  it('the status bar count follows the selection', async () => {
    const api = await llmLens();
    const content = 'The quick brown fox jumps over the lazy dog.\n토큰 수를 세어 봅시다. 🦊🐶\n';
    const editor = await openText(content, 'plaintext');
    const shows = (text: string) => (api.tokenizer.statusBarText()?.includes(` ${o200kCount(text).toLocaleString()} tokens`) ? true : undefined);
    const select = async (start: number, end: number) => {
      editor.selection = new vscode.Selection(editor.document.positionAt(start), editor.document.positionAt(end));
      const text = start === end ? content : content.slice(start, end);
      await waitFor(`the status bar count of ${JSON.stringify(text)}`, () => shows(text));
    };
    await select(0, 9); // "The quick"
    await select(0, content.indexOf('\n'));
    await select(content.indexOf('토'), content.length);
    await select(0, 0); // nothing selected: the whole document
  });

  it('the status bar says "1 token" and "2 tokens", and its tooltip names the tokenizer that counted', async () => {
    const api = await llmLens();
    const content = 'hello world, hello';
    assert.equal(o200kCount('hello'), 1, 'tiktoken: "hello" is one o200k token');
    const editor = await openText(content, 'plaintext', new vscode.Selection(0, 0, 0, 5));
    await waitFor('"1 token" in the status bar', () => (api.tokenizer.statusBarText() === '$(symbol-string) 1 token' ? true : undefined)).catch((error: Error) => {
      throw new Error(`${error.message} (it says ${JSON.stringify(api.tokenizer.statusBarText())}, tooltip ${JSON.stringify(api.tokenizer.statusBarTooltip())})`);
    });
    assert.match(api.tokenizer.statusBarTooltip() ?? '', /^1 token in the selection, counted with o200k_base .*llmLens\.defaultTokenizer/);
    const two = content.slice(0, 11);
    assert.equal(o200kCount(two), 2);
    editor.selection = new vscode.Selection(0, 0, 0, 11);
    await waitFor('"2 tokens" in the status bar', () => (api.tokenizer.statusBarText() === '$(symbol-string) 2 tokens' ? true : undefined));
    assert.match(api.tokenizer.statusBarTooltip() ?? '', /^2 tokens in the selection, counted with o200k_base/);
    // Another default tokenizer: the tooltip names it (the Tokenization panel may be showing a third one).
    const config = vscode.workspace.getConfiguration('llmLens');
    await config.update('defaultTokenizer', 'cl100k_base', vscode.ConfigurationTarget.Global);
    try {
      editor.selection = new vscode.Selection(0, 0, 0, 0);
      await waitFor('the tooltip to name cl100k_base', () => (/in the document, counted with cl100k_base/.test(api.tokenizer.statusBarTooltip() ?? '') ? true : undefined));
    } finally {
      await config.update('defaultTokenizer', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('counts in a process of its own: killed, the next count runs in a new one with the same answer; with the last panel closed it ends', async () => {
    const api = await llmLens();
    const { tokenizers } = api.compute;
    const content = 'The quick brown fox jumps over the lazy dog.\n';
    const editor = await openText(content, 'plaintext', new vscode.Selection(0, 0, 0, 0));
    const shows = (text: string) => (api.tokenizer.statusBarText()?.includes(` ${o200kCount(text).toLocaleString()} tokens`) ? true : undefined);
    await waitFor('the status bar count of the document', () => shows(content));
    const first = tokenizers.pids;
    assert.ok(first.length > 0 && !first.includes(process.pid), `counted in a tokenizer process, not the extension host (${first.join(', ')})`);
    // As the kernel's out-of-memory killer would: the host lives on and forgets the process.
    for (const pid of first) process.kill(pid, 'SIGKILL');
    await waitFor('the killed processes to be forgotten', () => (tokenizers.pids.every((pid) => !first.includes(pid)) ? true : undefined), 10_000);
    editor.selection = new vscode.Selection(0, 0, 0, 9);
    await waitFor('the status bar count of "The quick" from a new process', () => shows('The quick'));
    const second = tokenizers.pids;
    assert.ok(second.length > 0 && second.every((pid) => !first.includes(pid)), `a new process (${second.join(', ')}; before ${first.join(', ')})`);
    // The Tokenization panel uses it too; 5 s after the last panel closes it ends and takes its vocabularies along.
    await vscode.commands.executeCommand('llmLens.tokenizeSelection');
    await tokenizerSnapshot('tokens of the selection', (x) => x.tokenization !== null && x.text === 'The quick');
    const used = tokenizers.pids;
    await closeAll();
    await waitFor('the tokenizer processes to be released', () => (tokenizers.pids.length === 0 ? true : undefined), 30_000);
    await waitFor('the released processes to exit', () => (used.every((pid) => !processAlive(pid)) ? true : undefined), 10_000);
  });
});
