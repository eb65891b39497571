import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenizerJobNames } from '../../src/compute/jobNames';
import { tokenizerJobs } from '../../src/compute/tokenizerJobTable';
import { jobs } from '../../src/compute/jobs';

test('the jobs routed to the tokenizer processes are exactly the ones those processes serve, and the model process serves them too', () => {
  assert.deepEqual([...tokenizerJobNames].sort(), Object.keys(tokenizerJobs).sort());
  for (const name of tokenizerJobNames) assert.equal(jobs[name as keyof typeof jobs], tokenizerJobs[name as keyof typeof tokenizerJobs], name);
});
