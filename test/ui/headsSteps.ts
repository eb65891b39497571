// Steps the Reading heads UI tests share (heads.test.ts, headsDark.test.ts).
import type { FrameLocator } from 'playwright-core';

/** A text that repeats itself, so duplicate-token and induction heads have something to find. */
export const REPEATED_CODE = 'def total(items):\n    return sum(items)\n\ndef total(items):\n    return sum(items)\n';

/** Opens the Reading heads tab (Find heads) and waits for its score grid. */
export async function openReadingHeads(view: FrameLocator): Promise<void> {
  await view.locator('#tab-analysis').click();
  await view.locator('#section-heads').click();
  await view.locator('table.score-grid').waitFor({ timeout: 60_000 });
}
