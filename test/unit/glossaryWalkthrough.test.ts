// The walkthrough in package.json: one step per glossary chapter, each completing when its chapter opens,
// with a page per language in media/walkthrough that matches the glossary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { glossaryChapters, glossaryEntries } from '../../src/core/glossary/glossary';
import { chapterMarkdown } from '../../src/core/glossary/markdown';
import { packageRoot } from '../../src/core/paths';

interface Step {
  id: string;
  title: string;
  description: string;
  media: { markdown?: string };
  completionEvents?: string[];
}
interface Manifest {
  contributes: { walkthroughs?: { id: string; title: string; steps: Step[] }[]; commands: { command: string }[] };
}

const root = packageRoot();
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;
const nls = (lang: '' | '.ko') => JSON.parse(readFileSync(join(root, `package.nls${lang}.json`), 'utf8')) as Record<string, string>;
const resolve = (text: string, strings: Record<string, string>) => text.replace(/^%(.+)%$/, (_, key: string) => strings[key] ?? `<missing ${key}>`);

test('"Learn LLM basics with LLM Lens" has one step per chapter, in the study-note order', () => {
  const walkthrough = manifest.contributes.walkthroughs?.find((w) => w.id === 'learnLlmBasics');
  assert.ok(walkthrough, 'walkthrough contributed');
  assert.equal(resolve(walkthrough.title, nls('')), 'Learn LLM basics with LLM Lens');
  assert.deepEqual(walkthrough.steps.map((s) => s.id), glossaryChapters().map((c) => c.id));
  assert.ok(manifest.contributes.commands.some((c) => c.command === 'llmLens.learnChapter'));
  for (const step of walkthrough.steps) {
    assert.deepEqual(step.completionEvents, [`onContext:llmLens.learned.${step.id}`]);
    for (const lang of ['', '.ko'] as const) {
      const strings = nls(lang);
      const description = resolve(step.description, strings);
      // The step's button runs the chapter command with this chapter (URL-encoded JSON arguments).
      const link = /\(command:llmLens\.learnChapter\?([^)]+)\)/.exec(description);
      assert.ok(link, `${step.id}${lang}: a button that opens the chapter`);
      assert.deepEqual(JSON.parse(decodeURIComponent(link[1])), [step.id]);
      const media = resolve(step.media.markdown ?? '', strings);
      assert.equal(media, `media/walkthrough/${step.id}${lang}.md`);
      assert.ok(existsSync(join(root, media)), media);
    }
  }
});

test('the chapter pages are up to date with the glossary (regenerate: node dist-scripts/walkthroughMedia.js)', () => {
  for (const chapter of glossaryChapters()) {
    for (const language of ['en', 'ko'] as const) {
      const file = join(root, 'media', 'walkthrough', `${chapter.id}${language === 'en' ? '' : '.ko'}.md`);
      assert.equal(readFileSync(file, 'utf8'), chapterMarkdown(chapter, glossaryEntries(), language), file);
    }
  }
});
