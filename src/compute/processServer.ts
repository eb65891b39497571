// The model process's side of the model host: serves jobs over the IPC channel of child_process.fork. One
// process holds the loaded model for every panel; cancel is cooperative (a flag the job reads between layers,
// which the forward pass lets in by yielding to the event loop), so a cancelled run does not cost a reload.
import { runRequest, type JobReply, type JobRequest, type JobTable } from './workerHost';
import type { SessionOptions } from './modelSession';

/** A message the model host sends its process. */
export type HostMessage =
  | { kind: 'run'; request: JobRequest; session: SessionOptions }
  | { kind: 'cancel'; id: number };

/** What a process does around each job besides running it (the model process: its session and test hooks). */
export interface ServeOptions {
  /** Called with the session options that came with a job, before it runs. */
  onSession?: (session: SessionOptions) => void;
  /** Called before each job is looked at (the crash tests' armed hook). */
  beforeJob?: () => void;
}

/**
 * Serves `jobs` in this process (started by ModelHost with an IPC channel): one reply stream, cooperative cancel.
 * The session and hooks come as options so a tokenizer process does not bundle the model loader.
 */
export function serveJobsOverIpc(jobs: JobTable, options: ServeOptions = {}): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error('serveJobsOverIpc must run in a process forked with an IPC channel');
  const cancelled = new Set<number>();
  process.on('message', (message: HostMessage) => {
    if (message.kind === 'cancel') {
      cancelled.add(message.id);
      return;
    }
    const { request } = message;
    options.beforeJob?.();
    options.onSession?.(message.session);
    const post = (reply: JobReply): void => {
      send(reply);
    };
    void runRequest(jobs, request, { isCancelled: () => cancelled.has(request.id) }, post).finally(() => cancelled.delete(request.id));
  });
  // The extension host went away (closed, crashed, reloaded): nothing is left to serve, so end with it.
  process.on('disconnect', () => process.exit(0));
}
