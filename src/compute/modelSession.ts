// What the model process keeps between jobs: the options the host sent with the latest job (the memory
// budget) and ONE loaded model, shared by every model job (attention, decoding, …), so two panels on the same
// model hold its weights once.
import { loadModel, type Model } from '../core/model/load';

/** Options the host sends with every job. */
export interface SessionOptions {
  /** The memory budget for weights (llmLens.model.memoryBudgetMiB): loadModel's maxResidentBytes. */
  maxResidentBytes?: number;
}

/** loadModel's options (the budget), declared here until every core build takes them (issue 14). */
export interface LoadModelOptions {
  /** At most this many weight bytes are held in memory; the rest is read from disk during each run. */
  maxResidentBytes?: number;
}

// The core's loadModel gains its options in issue 14; an older core ignores the extra argument.
const loadWithOptions = loadModel as (path: string, options?: LoadModelOptions) => Promise<Model>;

let session: SessionOptions = {};
let cached: { path: string; maxResidentBytes: number | undefined; model: Promise<Model> } | undefined;

/** Sets the options of the next jobs (called by the process server before each job). */
export function setSessionOptions(options: SessionOptions): void {
  session = { ...options };
}

/** The options in force now. */
export function sessionOptions(): SessionOptions {
  return session;
}

/**
 * The model at `path`, loaded with the session's budget (or reused when the path and budget are unchanged). A
 * failed load is forgotten so the next job tries again; a new model replaces the old one (one model per process).
 */
export async function sessionModel(path: string): Promise<Model> {
  const maxResidentBytes = session.maxResidentBytes;
  if (cached?.path !== path || cached.maxResidentBytes !== maxResidentBytes) {
    cached = { path, maxResidentBytes, model: loadWithOptions(path, maxResidentBytes === undefined ? {} : { maxResidentBytes }) };
  }
  const entry = cached;
  try {
    return await entry.model;
  } catch (error) {
    if (cached === entry) cached = undefined;
    throw error;
  }
}
