import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { get_encoding } from '@dqbd/tiktoken';
import { closeAll, llmLens, openText, waitFor } from './helpers';

// "LLM Lens: Toggle Token Boundaries" in the real extension host: the command turns the decorations on for
// the visible lines of the active editor (default tokenizer o200k_base, checked against @dqbd/tiktoken),
// follows a scroll and an edit, shows a token's id and bytes on hover, and turns them off again.
describe('LLM Lens: Toggle Token Boundaries', function () {
  this.timeout(240_000);
  afterEach(async () => {
    const api = await llmLens();
    if (api.tokenBoundaries.enabled) await vscode.commands.executeCommand('llmLens.toggleTokenBoundaries');
    await closeAll();
  });

  it('draws the visible tokens, follows scrolling and typing, hovers, and toggles off', async () => {
    const api = await llmLens();
    const line = (i: number): string => `const value${i} = compute(${i}, "토큰 ${i}"); // line ${i}`;
    const content = Array.from({ length: 5000 }, (_, i) => line(i)).join('\n') + '\n';
    const editor = await openText(content, 'typescript', new vscode.Selection(0, 0, 0, 0));
    assert.equal(api.tokenBoundaries.enabled, false);

    await vscode.commands.executeCommand('llmLens.toggleTokenBoundaries');
    assert.equal(api.tokenBoundaries.enabled, true);
    const first = await waitFor('decorations on the first lines', () => api.tokenBoundaries.decorated);
    assert.equal(first.uri, editor.document.uri.toString());
    assert.equal(first.tokenizerId, 'o200k_base');
    // The decorated lines are the visible ones (with a margin), not the whole 5,000-line file.
    const lines = new Set([...first.even, ...first.odd].map((r) => r.startLine));
    assert.ok(lines.has(0) && !lines.has(4999), 'only the visible part is tokenized');
    assert.ok(lines.size < 400, `${lines.size} lines decorated`);
    // Line 0's tokens are tiktoken's tokens of line 0.
    const t = get_encoding('o200k_base');
    const onLine0 = [...first.even, ...first.odd].filter((r) => r.startLine === 0 && r.endLine === 0).length;
    assert.equal(onLine0, t.encode_ordinary(line(0)).length);

    // Hover the first token: its id (tiktoken's) and bytes.
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, new vscode.Position(0, 1));
    // Markdown as the hover holds it: text escaped by appendText (spaces as &nbsp;, punctuation with "\").
    const text = hovers
      .flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value)))
      .join('\n')
      .replace(/&nbsp;/g, ' ')
      .replace(/\\(.)/g, '$1');
    const constId = t.encode_ordinary('const')[0];
    assert.ok(text.includes(`Token ${constId}`) || text.includes(`토큰 ${constId}`), text);
    assert.ok(text.includes('63 6f 6e 73 74'), text);
    t.free();

    // Scroll to the end: the decorations follow.
    editor.revealRange(new vscode.Range(4990, 0, 4990, 0), vscode.TextEditorRevealType.AtTop);
    await waitFor('decorations near the end', () => {
      const d = api.tokenBoundaries.decorated;
      return d && [...d.even, ...d.odd].some((r) => r.startLine === 4995) ? d : undefined;
    });

    // Type on a visible line: the new word is decorated.
    await editor.edit((b) => b.insert(new vscode.Position(4995, 0), 'inserted_identifier_xyz '));
    await waitFor('decorations after the edit', async () => {
      await api.tokenBoundaries.whenSettled();
      const d = api.tokenBoundaries.decorated;
      const first4995 = d && [...d.even, ...d.odd].filter((r) => r.startLine === 4995).sort((a, b) => a.startCharacter - b.startCharacter);
      return first4995 && first4995.length > 0 && first4995.some((r) => r.endCharacter >= 'inserted_identifier_xyz'.length - 3) && d.even.length > 0 ? true : undefined;
    });
    const timings = api.tokenBoundaries.timings;
    assert.ok(timings.length >= 2);
    console.log(`token boundaries host time per update: ${timings.map((x) => (x.sliceMs + x.decorateMs).toFixed(2)).join(', ')} ms (${timings.at(-1)?.tokens} tokens)`);

    await vscode.commands.executeCommand('llmLens.toggleTokenBoundaries');
    assert.equal(api.tokenBoundaries.enabled, false);
    assert.equal(api.tokenBoundaries.decorated, undefined);
  });
});
