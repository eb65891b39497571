// What the panels say when a model job fails for a reason the user can act on: the model process died (out of
// memory, a crash) or the run was refused by the memory budget. Matched by error code, never by message text.
import * as vscode from 'vscode';
import { JobFailedError, ModelProcessDiedError } from '../compute/pool';

/** Error codes of the core's memory-budget refusals (issue 14: "a run that cannot fit is refused"). */
const BUDGET_CODES: ReadonlySet<string> = new Set(['memoryBudget', 'overBudget', 'budget', 'budgetExceeded']);

/** True when `error` is a memory-budget refusal from the core. */
export function isBudgetRefusal(error: unknown): boolean {
  return error instanceof JobFailedError && error.code !== undefined && BUDGET_CODES.has(error.code);
}

/** The current budget setting in MiB, or 0 for the default. */
function budgetSetting(): number {
  return vscode.workspace.getConfiguration('llmLens').get<number>('model.memoryBudgetMiB', 0) ?? 0;
}

/**
 * A localized message that says what happened and what to try, for a model-process death or a budget refusal
 * while running `label`; undefined for other errors (the caller words those).
 */
export function modelFailureMessage(error: unknown, label: string): string | undefined {
  if (error instanceof ModelProcessDiedError) {
    const how = error.signal !== null ? error.signal : String(error.exitCode);
    const what = error.reason === 'killed'
      ? vscode.l10n.t('The model process running {0} was stopped by the system ({1}), most likely because the computer ran out of memory.', label, how)
      : error.reason === 'heapLimit'
        ? vscode.l10n.t('The model process running {0} reached its JavaScript memory limit and stopped.', label)
        : vscode.l10n.t('The model process running {0} stopped unexpectedly ({1}).', label, how);
    return `${what} ${vscode.l10n.t('VS Code and its other extensions were not affected, and the next run starts a new model process. To use less memory, try fewer tokens (llmLens.attention.maxTokens), a smaller model (LLM Lens: Choose Model), or a smaller memory budget (llmLens.model.memoryBudgetMiB) so that weights are read from disk instead of held in memory.')}`;
  }
  if (isBudgetRefusal(error)) {
    const setting = budgetSetting();
    const budget = setting > 0 ? vscode.l10n.t('{0} MiB', setting) : vscode.l10n.t('the default, a quarter of this computer\'s memory');
    return vscode.l10n.t('{0} does not fit in the memory budget ({1}): {2} Raise llmLens.model.memoryBudgetMiB, use fewer tokens (llmLens.attention.maxTokens), or choose a smaller model.', label, budget, (error as Error).message);
  }
  return undefined;
}

/**
 * A localized message for a tokenizer job whose tokenizer process ended under it (out of memory, a crash, killed);
 * undefined for other errors.
 */
export function tokenizerProcessFailureMessage(error: unknown): string | undefined {
  if (!(error instanceof ModelProcessDiedError)) return undefined;
  const how = error.signal !== null ? error.signal : String(error.exitCode);
  return vscode.l10n.t('The tokenizer process stopped ({0}). VS Code and its other extensions were not affected; the next tokenization starts a new one.', how);
}
