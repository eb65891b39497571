import * as vscode from 'vscode';
import { writeFileSync } from 'node:fs';
import { HostStatsRecorder, hostStatsCommandId } from '../compute/hostStats';

/**
 * Registers the stress tests' internal command (hostStatsCommandId) and starts measuring when `file` (the
 * LLM_LENS_HOST_STATS variable) is set; otherwise nothing. `'reset'` starts a new measuring window, anything else
 * reports; each call writes the numbers (HostStats) to `file`.
 */
export function registerHostStatsForTest(file: string | undefined, live: () => { modelProcessPid: number | undefined; workerThreads: number }): vscode.Disposable {
  if (!file) return { dispose: () => undefined };
  const recorder = new HostStatsRecorder(live);
  const command = vscode.commands.registerCommand(hostStatsCommandId, (action?: unknown) => {
    if (action === 'reset') recorder.reset();
    writeFileSync(file, JSON.stringify({ action: action ?? 'read', ...recorder.read() }));
  });
  return vscode.Disposable.from(command, { dispose: () => recorder.dispose() });
}
