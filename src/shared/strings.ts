// The English text of every string a webview shows, per panel. The host passes each through
// vscode.l10n.t (Korean in l10n/bundle.l10n.ko.json) and injects the result into the page, so the
// webview never needs the l10n API (house style: vscode-hexeditor's shared/strings.ts).

/** Strings every panel uses. */
export const commonStrings = {
  cancel: 'Cancel',
  working: 'Working…',
  errorPrefix: 'Error',
  close: 'Close',
} as const;

/** The English strings of each panel, keyed by panel kind. */
export const webviewStrings = {
  welcome: {
    ...commonStrings,
    heading: 'LLM Lens',
    tagline: 'See how large language models read and remember your code — tokens, attention and the KV cache — computed on this machine.',
    versionLabel: 'Version',
    featuresHeading: 'What you can explore',
    offlineNote: 'Everything runs locally in the extension host: no Python, no GPU, no network.',
    keyboardHint: 'Tip: every LLM Lens command is in the Command Palette (F1) under “LLM Lens”.',
  },
} as const;

/** The string table of one panel kind. */
export type StringsOf<K extends keyof typeof webviewStrings> = { [P in keyof (typeof webviewStrings)[K]]: string };
