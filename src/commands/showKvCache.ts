import * as vscode from 'vscode';
import { basename } from 'node:path';
import type { PanelManager } from '../panels/panel';
import { KvCachePanel } from '../panels/kvCachePanel';

/** The config.json of the active editor, if that is what it shows. */
function activeConfigUri(): vscode.Uri | undefined {
  const uri = vscode.window.activeTextEditor?.document.uri;
  return uri && basename(uri.path).toLowerCase() === 'config.json' ? uri : undefined;
}

/**
 * "LLM Lens: Show KV Cache Memory": opens (or reveals) the KV-cache panel. From a config.json's
 * explorer or editor context menu (`uri` given), or from the palette while a config.json is the
 * active editor, the panel shows that file's model; the file is only read.
 */
export async function showKvCache(panels: PanelManager, uri?: unknown): Promise<void> {
  const target = uri instanceof vscode.Uri ? uri : activeConfigUri();
  const panel = panels.show(KvCachePanel.definition);
  if (target && panel instanceof KvCachePanel) await panel.openConfig(target);
}
