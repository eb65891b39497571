// The only module that imports the UI component library (@vscode/webview-ui-toolkit, no longer
// maintained upstream): panels build controls through these helpers so it can be swapped here alone.
import {
  provideVSCodeDesignSystem,
  vsCodeBadge,
  vsCodeButton,
  vsCodeCheckbox,
  vsCodeDataGrid,
  vsCodeDataGridCell,
  vsCodeDataGridRow,
  vsCodeDivider,
  vsCodeDropdown,
  vsCodeLink,
  vsCodeOption,
  vsCodePanels,
  vsCodePanelTab,
  vsCodePanelView,
  vsCodeProgressRing,
  vsCodeTag,
  vsCodeTextField,
} from '@vscode/webview-ui-toolkit';

let registered = false;

/** Registers the toolkit's custom elements once per page. */
export function registerUi(): void {
  if (registered) return;
  registered = true;
  provideVSCodeDesignSystem().register(
    vsCodeBadge(),
    vsCodeButton(),
    vsCodeCheckbox(),
    vsCodeDataGrid(),
    vsCodeDataGridCell(),
    vsCodeDataGridRow(),
    vsCodeDivider(),
    vsCodeDropdown(),
    vsCodeLink(),
    vsCodeOption(),
    vsCodePanels(),
    vsCodePanelTab(),
    vsCodePanelView(),
    vsCodeProgressRing(),
    vsCodeTag(),
    vsCodeTextField(),
  );
}

/** A toolkit button; `appearance` primary (default) or secondary. */
export function button(label: string, onClick: () => void, appearance: 'primary' | 'secondary' = 'primary'): HTMLElement {
  registerUi();
  const element = document.createElement('vscode-button');
  element.textContent = label;
  element.setAttribute('appearance', appearance);
  element.addEventListener('click', onClick);
  return element;
}

/** A toolkit dropdown over `options` (value, label); calls `onChange` with the chosen value. */
export function dropdown(options: readonly { value: string; label: string }[], selected: string, onChange: (value: string) => void, ariaLabel: string): HTMLElement {
  registerUi();
  const element = document.createElement('vscode-dropdown') as HTMLElement & { value: string };
  element.setAttribute('aria-label', ariaLabel);
  for (const option of options) {
    const item = document.createElement('vscode-option') as HTMLElement & { value: string };
    item.setAttribute('value', option.value);
    item.textContent = option.label;
    if (option.value === selected) item.setAttribute('selected', '');
    element.appendChild(item);
  }
  element.addEventListener('change', () => onChange(element.value));
  return element;
}

/** A toolkit checkbox. */
export function checkbox(label: string, checked: boolean, onChange: (checked: boolean) => void): HTMLElement {
  registerUi();
  const element = document.createElement('vscode-checkbox') as HTMLElement & { checked: boolean };
  element.textContent = label;
  if (checked) element.setAttribute('checked', '');
  element.addEventListener('change', () => onChange(element.checked));
  return element;
}

/** A toolkit text field; `onInput` fires on every edit. */
export function textField(label: string, value: string, onInput: (value: string) => void, placeholder = ''): HTMLElement {
  registerUi();
  const element = document.createElement('vscode-text-field') as HTMLElement & { value: string };
  element.textContent = label;
  element.setAttribute('value', value);
  if (placeholder) element.setAttribute('placeholder', placeholder);
  element.addEventListener('input', () => onInput(element.value));
  element.addEventListener('keydown', keepEditingKeysInField);
  return element;
}

/**
 * Keeps select-all, undo and redo inside a text field. VS Code's webview host forwards every keydown to the
 * workbench, whose own Select All / Undo then come back as `execCommand` messages a moment later
 * (microsoft/vscode src/vs/workbench/contrib/webview/browser/pre/index.html: handleInnerKeydown, 'execCommand'):
 * typed fast after Ctrl+A, "kv cache" became "v cache" because the late select-all swallowed the "k". The
 * field handles these keys itself (the browser's own editing), so they must not reach the forwarder.
 */
function keepEditingKeysInField(event: KeyboardEvent): void {
  if ((event.ctrlKey || event.metaKey) && !event.altKey && ['a', 'z', 'y'].includes(event.key.toLowerCase())) event.stopPropagation();
}

/** A toolkit badge with `text`. */
export function badge(text: string): HTMLElement {
  registerUi();
  const element = document.createElement('vscode-badge');
  element.textContent = text;
  return element;
}

/** A toolkit tag with `text`. */
export function tag(text: string): HTMLElement {
  registerUi();
  const element = document.createElement('vscode-tag');
  element.textContent = text;
  return element;
}

/** A toolkit divider. */
export function divider(): HTMLElement {
  registerUi();
  return document.createElement('vscode-divider');
}

/** A toolkit progress ring. */
export function progressRing(): HTMLElement {
  registerUi();
  return document.createElement('vscode-progress-ring');
}

/** A toolkit link that runs `onClick` (no navigation). */
export function link(label: string, onClick: () => void): HTMLElement {
  registerUi();
  const element = document.createElement('vscode-link');
  element.textContent = label;
  element.setAttribute('href', '#');
  element.addEventListener('click', (event) => {
    event.preventDefault();
    onClick();
  });
  return element;
}

/** Tabs: `tabs` (id, label, content) in toolkit panels; `onChange` gets the active tab id. */
export function tabs(items: readonly { id: string; label: string; content: HTMLElement }[], activeId: string, onChange: (id: string) => void): HTMLElement {
  registerUi();
  const panels = document.createElement('vscode-panels');
  for (const item of items) {
    const tab = document.createElement('vscode-panel-tab');
    tab.id = `tab-${item.id}`;
    tab.textContent = item.label;
    panels.appendChild(tab);
  }
  for (const item of items) {
    const view = document.createElement('vscode-panel-view');
    view.id = `view-${item.id}`;
    view.appendChild(item.content);
    panels.appendChild(view);
  }
  panels.setAttribute('activeid', `tab-${activeId}`);
  panels.addEventListener('change', (event) => {
    const active = (event.target as HTMLElement & { activeid?: string }).activeid;
    if (active?.startsWith('tab-')) onChange(active.slice(4));
  });
  return panels;
}

/** A toolkit data grid with `columns` (key, title) and `rows`; text only (never HTML). */
export function dataGrid(columns: readonly { key: string; title: string }[], rows: readonly Record<string, string>[], ariaLabel: string): HTMLElement {
  registerUi();
  const grid = document.createElement('vscode-data-grid') as HTMLElement & {
    rowsData: Record<string, string>[];
    columnDefinitions: { columnDataKey: string; title: string }[];
  };
  grid.setAttribute('aria-label', ariaLabel);
  grid.setAttribute('generate-header', 'sticky');
  grid.columnDefinitions = columns.map((c) => ({ columnDataKey: c.key, title: c.title }));
  grid.rowsData = rows.map((r) => ({ ...r }));
  return grid;
}

/** A native range slider (the toolkit has none) with an accessible name; `onInput` fires while dragging. */
export function slider(min: number, max: number, step: number, value: number, onInput: (value: number) => void, ariaLabel: string): HTMLInputElement {
  const element = document.createElement('input');
  element.type = 'range';
  element.className = 'llm-lens-slider';
  element.min = String(min);
  element.max = String(max);
  element.step = String(step);
  element.value = String(value);
  element.setAttribute('aria-label', ariaLabel);
  element.addEventListener('input', () => onInput(Number(element.value)));
  return element;
}
