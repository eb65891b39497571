// Entry of dist/worker.js: a worker thread serving the jobs of ./jobs.
import { jobs } from './jobs';
import { serveJobs } from './workerHost';

serveJobs(jobs);
