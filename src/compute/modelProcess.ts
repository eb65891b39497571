// Entry of dist/modelHost.js: the model process (started by ModelHost with child_process.fork) serving the jobs of ./jobs.
import { availableParallelism } from 'node:os';
import { useMatmulThreads } from '../core/tensor/wasmMatmul';
import { jobs } from './jobs';
import { serveJobsOverIpc } from './processServer';
import { setSessionOptions } from './modelSession';
import { crashIfArmed } from './testHooks';

// Every core: the large matrix products of a run are split across worker threads sharing one memory.
useMatmulThreads(availableParallelism());
serveJobsOverIpc(jobs, { onSession: setSessionOptions, beforeJob: crashIfArmed });
