import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cachedRoot: string | undefined;

/**
 * The folder of LLM Lens's package.json. Found by walking up from this bundle, so it works from
 * dist/core, dist/, dist-test/ and dist-scripts/ alike (large data is loaded from files there).
 */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = __dirname;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'llm-lens') {
          cachedRoot = dir;
          return dir;
        }
      } catch {
        // Not ours or unreadable: keep walking up.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`LLM Lens: cannot find the package root above ${__dirname}`);
    dir = parent;
  }
}

/** Where built data (vocabularies) lives: dist/data. */
export function dataDir(): string {
  return join(packageRoot(), 'dist', 'data');
}

/**
 * A model LLM Lens ships (Hugging Face layout: config.json, model.safetensors, tokenizer.json, MODEL_CARD.md):
 * the dense Llama-style one (default) or its mixture-of-experts sibling in Mixtral's layout.
 */
export function embeddedModelDir(kind: 'dense' | 'moe' = 'dense'): string {
  return join(packageRoot(), 'data', kind === 'moe' ? 'embedded-model-moe' : 'embedded-model');
}
