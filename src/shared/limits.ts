// Limits the host and the webviews share (no 'vscode', no DOM).

/**
 * The one safety cap on characters a panel reads from an editor (Tokenization and Attention): a selection
 * or document longer than this is cut, and the panel names the cap. It bounds memory and webview state;
 * what limits an attention run is its token cap (llmLens.attention.maxTokens and the model's context).
 */
export const maxInputChars = 500_000;
