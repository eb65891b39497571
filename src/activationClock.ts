import { performance } from 'node:perf_hooks';

/** When the extension bundle started to evaluate (imported first by extension.ts; read by `npm run bench`). */
export const bundleStartedAt = performance.now();
