// Entry of dist/tokenizerHost.js: a tokenizer process (started by ComputePool with child_process.fork, as the model
// process is) serving the tokenizer jobs. Vocabularies live here; the process ends when idle and takes them along.
import { serveJobsOverIpc } from './processServer';
import { tokenizerJobs } from './tokenizerJobTable';

serveJobsOverIpc(tokenizerJobs);
