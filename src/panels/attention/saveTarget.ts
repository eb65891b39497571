import * as vscode from 'vscode';

// Where an export is written: always a file the user names in VS Code's save dialog. Integration tests cannot
// click that dialog from the extension host, so a test run (ExtensionMode.Test only) may name the next target.
let nextTestTarget: vscode.Uri | undefined;

/** Test runs only: the next save dialog of an Attention export is answered with `uri` (once). */
export function useSaveTargetOnceForTest(context: vscode.ExtensionContext, uri: vscode.Uri): void {
  if (context.extensionMode !== vscode.ExtensionMode.Test) throw new Error('useSaveTargetOnceForTest is for test runs only');
  nextTestTarget = uri;
}

/** Asks where to save `name` (VS Code's save dialog, proposing the workspace folder); undefined when dismissed. */
export async function askSaveTarget(name: string, filters: Record<string, string[]>): Promise<vscode.Uri | undefined> {
  if (nextTestTarget) {
    const target = nextTestTarget;
    nextTestTarget = undefined;
    return target;
  }
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  return vscode.window.showSaveDialog({ defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined, filters });
}
