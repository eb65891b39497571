import * as vscode from 'vscode';
import { writeFileSync } from 'node:fs';
import { writeHeapSnapshot } from 'node:v8';
import { Session } from 'node:inspector';
import { anonymousBySize, HostStatsRecorder, hostStatsCommandId, largestMappings, type LiveCompute } from '../compute/hostStats';

/**
 * Registers the stress tests' internal command (hostStatsCommandId) and starts measuring when `file` (the
 * LLM_LENS_HOST_STATS variable) is set; otherwise nothing. `'reset'` starts a new measuring window, `'heapSnapshot'`
 * also writes a V8 heap snapshot of the host to `<file>.heapsnapshot` (after a full collection: what the host still
 * holds), `'smaps'` adds the mappings that hold the most memory, anything else reports; each call writes the numbers
 * (HostStats) to `file`. With LLM_LENS_HEAP_PROFILE=1 a 'reset' also starts V8's sampling heap profiler and the next
 * call stops it, writing the profile to `<file>.heapprofile`.
 */
export function registerHostStatsForTest(file: string | undefined, live: () => LiveCompute): vscode.Disposable {
  if (!file) return { dispose: () => undefined };
  const recorder = new HostStatsRecorder(live);
  // LLM_LENS_HEAP_PROFILE=1 (diagnostic): V8's sampling heap profiler from 'reset' to the next read, counting objects
  // already collected too (what was allocated in the window, not what is live at its end), written to <file>.heapprofile.
  const profiler = process.env.LLM_LENS_HEAP_PROFILE === '1' ? new Session() : undefined;
  let profiling = false;
  profiler?.connect();
  const command = vscode.commands.registerCommand(hostStatsCommandId, (action?: unknown) => {
    if (action === 'reset') recorder.reset();
    if (action === 'reset' && profiler && !profiling) {
      profiling = true;
      profiler.post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    } else if (profiler && profiling) {
      profiling = false;
      profiler.post('HeapProfiler.stopSampling', (error, result) => {
        writeFileSync(`${file}.heapprofile`, JSON.stringify(error ? { error: error.message } : result.profile));
      });
    }
    if (action === 'heapSnapshot') writeHeapSnapshot(`${file}.heapsnapshot`);
    writeFileSync(file, JSON.stringify({ action: action ?? 'read', ...recorder.read(), ...(action === 'smaps' ? { mappings: largestMappings(), anonymousBySize: anonymousBySize() } : {}) }));
  });
  return vscode.Disposable.from(command, { dispose: () => recorder.dispose() }, { dispose: () => profiler?.disconnect() });
}
