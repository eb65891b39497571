// Loaded by the extension host as an extensionTestsPath module from scripts/bench/tokenBoundaries.mjs:
// "LLM Lens: Toggle Token Boundaries" on a 5,000-line TypeScript file, then scrolls and edits. For each
// update it records the extension host's own work (reading the visible slice, placing the ranges, setting
// the decorations: what runs on the host's event loop; the tokenizing runs in the compute worker) and the
// latency from the scroll or edit to the decorations. Writes the numbers as JSON.
import * as vscode from 'vscode';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { LlmLensApi } from '../../src/extension';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Called by the extension host. */
export async function run(): Promise<void> {
  const extension = vscode.extensions.getExtension<LlmLensApi>('llm-lens.llm-lens');
  if (!extension) throw new Error('LLM Lens is not loaded');
  const api = await extension.activate();
  // 5,000 lines of real TypeScript compiler source.
  const all = readFileSync(join(extension.extensionPath, 'node_modules', 'typescript', 'lib', 'typescript.js'), 'utf8').split('\n');
  const content = all.slice(100_000, 105_000).join('\n');
  const doc = await vscode.workspace.openTextDocument({ content, language: 'typescript' });
  const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
  await vscode.commands.executeCommand('llmLens.toggleTokenBoundaries');
  await api.tokenBoundaries.whenSettled();
  const latencies: number[] = [];
  const before = api.tokenBoundaries.timings.length;
  for (let i = 0; i < 15; i++) {
    const line = 200 + i * 300;
    const t0 = performance.now();
    editor.revealRange(new vscode.Range(line, 0, line, 0), vscode.TextEditorRevealType.AtTop);
    // The visible-range event arrives a little after revealRange; then the debounced update runs.
    const deadline = t0 + 30_000;
    while (performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
      await api.tokenBoundaries.whenSettled();
      const d = api.tokenBoundaries.decorated;
      if (d && [...d.even, ...d.odd].some((r) => r.startLine === line + 5)) break;
    }
    latencies.push(performance.now() - t0);
    const t1 = performance.now();
    await editor.edit((b) => b.insert(new vscode.Position(line + 2, 0), `x${i} `));
    await new Promise((r) => setTimeout(r, 5));
    await api.tokenBoundaries.whenSettled();
    latencies.push(performance.now() - t1);
  }
  const timings = api.tokenBoundaries.timings.slice(before);
  const host = timings.map((t) => t.sliceMs + t.decorateMs);
  await vscode.commands.executeCommand('llmLens.toggleTokenBoundaries');
  const result = {
    lines: doc.lineCount,
    updates: timings.length,
    tokensPerUpdate: median(timings.map((t) => t.tokens)),
    hostMedianMs: median(host),
    hostMaxMs: Math.max(...host),
    sliceMedianMs: median(timings.map((t) => t.sliceMs)),
    decorateMedianMs: median(timings.map((t) => t.decorateMs)),
    latencyMedianMs: median(latencies),
  };
  if (process.env.LLM_LENS_RESULTS) writeFileSync(process.env.LLM_LENS_RESULTS, JSON.stringify(result));
}
