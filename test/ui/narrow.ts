// Narrow panels in UI tests: resizes the browser so the active webview is about `width` CSS pixels wide
// (a side-by-side panel on a laptop), and checks that nothing inside it is cut off.
import type { FrameLocator, Page } from 'playwright-core';

/** The width of the visible webview's frame, in CSS pixels. */
async function webviewWidth(page: Page): Promise<number> {
  const box = await page.locator('iframe.webview.ready').last().boundingBox();
  if (!box) throw new Error('no visible webview');
  return box.width;
}

/**
 * Resizes the page until the active webview is `width` px wide (±8): the workbench lays its editor groups
 * out again on every resize, so the viewport is adjusted by the difference a few times.
 */
export async function narrowWebviewTo(page: Page, width: number): Promise<number> {
  let current = await webviewWidth(page);
  for (let attempt = 0; attempt < 4 && Math.abs(current - width) > 8; attempt++) {
    const viewport = page.viewportSize() ?? { width: 1280, height: 800 };
    await page.setViewportSize({ width: Math.max(320, Math.round(viewport.width - (current - width))), height: viewport.height });
    await page.waitForTimeout(500);
    current = await webviewWidth(page);
  }
  return current;
}

/** Restores a desktop-sized page after a narrow test. */
export async function restoreViewport(page: Page, size = { width: 1280, height: 800 }): Promise<void> {
  await page.setViewportSize(size);
  await page.waitForTimeout(300);
}

/**
 * Elements of the webview that are cut off: wider than the page (so the page scrolls sideways) or whose
 * content overflows a box that hides it. Returns a description of each, empty when everything fits.
 * `scrollers` are selectors of boxes meant to scroll (a token view scrolls like an editor).
 */
export async function clippedElements(view: FrameLocator, scrollers: string[] = []): Promise<string[]> {
  return view.locator('body').evaluate((body, allowed) => {
    const problems: string[] = [];
    const pageWidth = document.documentElement.clientWidth;
    const describe = (e: Element) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${e.className && typeof e.className === 'string' ? `.${e.className.trim().split(/\s+/).join('.')}` : ''}`;
    const insideScroller = (e: Element) => allowed.some((s) => e.closest(s) !== null);
    for (const e of Array.from(body.querySelectorAll('*'))) {
      if (insideScroller(e)) continue;
      const box = e.getBoundingClientRect();
      if (box.width === 0 || box.height === 0) continue;
      if (box.right > pageWidth + 1) problems.push(`${describe(e)} ends at ${Math.round(box.right)} px, past the page's ${pageWidth} px`);
      const style = getComputedStyle(e);
      const hides = (v: string) => v === 'hidden' || v === 'clip';
      if ((hides(style.overflowX) && e.scrollWidth > e.clientWidth + 1) || (hides(style.overflowY) && e.scrollHeight > e.clientHeight + 1)) {
        problems.push(`${describe(e)} hides part of its content (${e.scrollWidth}×${e.scrollHeight} in ${e.clientWidth}×${e.clientHeight})`);
      }
    }
    // Shadow roots of toolkit controls (tabs, fields) are checked by their host's box above.
    return problems.slice(0, 20);
  }, scrollers);
}
