// Entry of dist/modelHost.js: the model process (started by ModelHost with child_process.fork) serving the jobs of ./jobs.
import { jobs } from './jobs';
import { serveJobsOverIpc } from './processServer';

serveJobsOverIpc(jobs);
