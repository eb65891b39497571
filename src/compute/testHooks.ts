import { sessionOptions, type SessionOptions } from './modelSession';

// Jobs that exist for the crash-isolation tests only: each is honoured only when the test runner set
// LLM_LENS_TEST_HOOKS=1 in the environment (scripts/run-integration.mjs does; a user's VS Code never does).

/** How `__crashForTest` ends the model process. */
export interface CrashForTestInput {
  /** 'kill': SIGKILL, as the kernel's out-of-memory killer does; 'abort': SIGABRT, as a native crash; 'exit': exit code 3. */
  how: 'kill' | 'abort' | 'exit';
  /** 'now': this job ends the process; 'nextJob': the next job the process receives does, before it runs (so a panel's own run meets the crash). */
  when?: 'now' | 'nextJob';
}

let armed: CrashForTestInput['how'] | undefined;

function die(how: CrashForTestInput['how']): never {
  if (how === 'kill') process.kill(process.pid, 'SIGKILL');
  if (how === 'abort') process.abort();
  process.exit(3);
}

/** Ends the process it runs in, or arms the next job to (tests only). */
export function crashForTestJob(input: CrashForTestInput): 'armed' {
  if (process.env.LLM_LENS_TEST_HOOKS !== '1') throw new Error('unknown job "__crashForTest"');
  if (input.when !== 'nextJob') die(input.how);
  armed = input.how;
  return 'armed';
}

/** Called by the process server before each job: ends the process if a test armed it. */
export function crashIfArmed(): void {
  if (armed !== undefined && process.env.LLM_LENS_TEST_HOOKS === '1') die(armed);
}

/** The session options the model process received with this job (tests: the memory budget setting reaches it). */
export function sessionForTestJob(): SessionOptions {
  if (process.env.LLM_LENS_TEST_HOOKS !== '1') throw new Error('unknown job "__sessionForTest"');
  return sessionOptions();
}
