// Writes the walkthrough's chapter pages, media/walkthrough/<chapter>.md (English) and <chapter>.ko.md
// (Korean), from the glossary in src/core. Run after changing the glossary:
//   node scripts/build.mjs && node dist-scripts/walkthroughMedia.js
// test/unit/glossaryWalkthrough.test.ts fails while the pages are out of date.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { glossaryChapters, glossaryEntries } from '../src/core/glossary/glossary';
import { chapterMarkdown } from '../src/core/glossary/markdown';
import { packageRoot } from '../src/core/paths';

const dir = join(packageRoot(), 'media', 'walkthrough');
mkdirSync(dir, { recursive: true });
for (const chapter of glossaryChapters()) {
  for (const language of ['en', 'ko'] as const) {
    const file = join(dir, `${chapter.id}${language === 'en' ? '' : '.ko'}.md`);
    writeFileSync(file, chapterMarkdown(chapter, glossaryEntries(), language));
    console.log(`wrote ${file}`);
  }
}
