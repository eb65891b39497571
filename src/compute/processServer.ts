// The model process's side of the model host: serves jobs over the IPC channel of child_process.fork. One
// process holds the loaded model for every panel; cancel is cooperative (a flag the job reads between layers,
// which the forward pass lets in by yielding to the event loop), so a cancelled run does not cost a reload.
import { runRequest, type JobReply, type JobRequest, type JobTable } from './workerHost';
import { setSessionOptions, type SessionOptions } from './modelSession';
import { crashIfArmed } from './testHooks';

/** A message the model host sends its process. */
export type HostMessage =
  | { kind: 'run'; request: JobRequest; session: SessionOptions }
  | { kind: 'cancel'; id: number };

/** Serves `jobs` in this process (started by ModelHost with an IPC channel): one reply stream, cooperative cancel. */
export function serveJobsOverIpc(jobs: JobTable): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error('serveJobsOverIpc must run in a process forked with an IPC channel');
  const cancelled = new Set<number>();
  process.on('message', (message: HostMessage) => {
    if (message.kind === 'cancel') {
      cancelled.add(message.id);
      return;
    }
    const { request } = message;
    crashIfArmed();
    setSessionOptions(message.session);
    const post = (reply: JobReply): void => {
      send(reply);
    };
    void runRequest(jobs, request, { isCancelled: () => cancelled.has(request.id) }, post).finally(() => cancelled.delete(request.id));
  });
  // The extension host went away (closed, crashed, reloaded): nothing is left to serve, so end with it.
  process.on('disconnect', () => process.exit(0));
}
