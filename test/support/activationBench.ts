// Loaded by the extension host as an extensionTestsPath module from scripts/bench.mjs: measures how
// long LLM Lens's activation takes in the real host (module load + activate()), and writes it out.
import * as vscode from 'vscode';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** Called by the extension host. */
export async function run(): Promise<void> {
  const extension = vscode.extensions.getExtension('llm-lens.llm-lens');
  if (!extension) throw new Error('LLM Lens is not loaded');
  const wasActive = extension.isActive;
  const started = performance.now();
  await extension.activate();
  const activateCallMs = performance.now() - started;
  // What LLM Lens itself costs: its bundle loading plus activate(), measured inside the extension.
  const { activationMs, activateBodyMs, bundleEvaluationMs } = extension.exports as { activationMs: number; activateBodyMs: number; bundleEvaluationMs: number };
  // A second measurement of the command path: the Welcome panel open to its ready handshake.
  const openStarted = performance.now();
  await vscode.commands.executeCommand('llmLens.showWelcome');
  const api = extension.exports as { isPanelReady(kind: string): boolean };
  while (!api.isPanelReady('welcome') && performance.now() - openStarted < 20_000) await new Promise((r) => setTimeout(r, 5));
  const welcomeReadyMs = performance.now() - openStarted;
  if (process.env.LLM_LENS_RESULTS) writeFileSync(process.env.LLM_LENS_RESULTS, JSON.stringify({ activationMs, activateBodyMs, bundleEvaluationMs, activateCallMs, wasActive, welcomeReadyMs }));
}
