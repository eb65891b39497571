// Every user-visible string of LLM Lens ships in English and Korean: the manifest's %keys% (package.nls.json /
// package.nls.ko.json) and every string the code localizes at run time (vscode.l10n.t literals and the webview
// string tables) in l10n/bundle.l10n.ko.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { packageRoot } from '../../src/core/paths';
import { webviewStrings } from '../../src/shared/strings';

const root = packageRoot();
const readJson = (file: string) => JSON.parse(readFileSync(join(root, file), 'utf8')) as Record<string, string>;
const HANGUL = /[\uac00-\ud7a3]/;

/** Strings that are the same in every language (names). */
const SAME_IN_EVERY_LANGUAGE = new Set(['LLM Lens']);

/** {0}-style placeholders, command links and code spans: what a translation must keep exactly. */
function invariants(text: string): string[] {
  return [...(text.match(/\{\d+\}/g) ?? []), ...(text.match(/\(command:[^)]+\)/g) ?? []), ...(text.match(/`[^`]+`/g) ?? [])].sort();
}

/**
 * English prose (two or more words, one of them lower-case) must read as Korean; names such as "Meta Llama 3",
 * "Qwen3" or a lone "softmax" may stay as they are.
 */
function isPhrase(text: string): boolean {
  const words = text.match(/\b[A-Za-z][a-z]{2,}\b/g) ?? [];
  return words.length >= 2 && words.some((w) => /^[a-z]/.test(w));
}

/** A file path (a walkthrough page): localized by pointing at another file, not by its words. */
const isPath = (text: string) => !/\s/.test(text) && text.includes('/');

/** Checks one translation: present, not blank, Korean where the English has words, same invariants. */
function checkTranslation(label: string, english: string, korean: string | undefined, problems: string[]): void {
  if (korean === undefined || korean.trim() === '') {
    problems.push(`no Korean for ${label}`);
    return;
  }
  if (isPhrase(english) && !SAME_IN_EVERY_LANGUAGE.has(english) && !isPath(english) && !HANGUL.test(korean)) {
    problems.push(`the Korean of ${label} is not Korean: ${JSON.stringify(korean)}`);
  }
  const want = invariants(english).join(' ');
  const got = invariants(korean).join(' ');
  if (want !== got) problems.push(`${label}: placeholders/links/code differ: ${want} vs ${got}`);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [full] : [];
  });
}

/** Every literal first argument of `l10n.t(...)` in the extension's sources. */
function l10nLiterals(): { text: string; where: string }[] {
  const found: { text: string; where: string }[] = [];
  for (const file of sourceFiles(join(root, 'src'))) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && /(^|\.)l10n\.t$/.test(node.expression.getText(source))) {
        const first = node.arguments[0];
        if (first && (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first))) {
          const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
          found.push({ text: first.text, where: `${file.slice(root.length + 1)}:${line + 1}` });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

test('package.nls.json and package.nls.ko.json have the same keys, every one translated', () => {
  const en = readJson('package.nls.json');
  const ko = readJson('package.nls.ko.json');
  const problems: string[] = [];
  for (const key of Object.keys(en)) checkTranslation(key, en[key], ko[key], problems);
  for (const key of Object.keys(ko)) if (!(key in en)) problems.push(`${key} is only in package.nls.ko.json`);
  assert.deepEqual(problems, []);
});

test('every %key% of package.json is defined', () => {
  const manifest = readFileSync(join(root, 'package.json'), 'utf8');
  const en = readJson('package.nls.json');
  const used = [...manifest.matchAll(/"%([^%"]+)%"/g)].map((m) => m[1]);
  assert.ok(used.length > 10);
  assert.deepEqual(used.filter((key) => !(key in en)), []);
});

test('every string localized at run time has a Korean translation in l10n/bundle.l10n.ko.json', () => {
  const bundle = readJson('l10n/bundle.l10n.ko.json');
  const problems: string[] = [];
  const literals = l10nLiterals();
  assert.ok(literals.length > 10, `found ${literals.length} l10n.t literals`);
  for (const { text, where } of literals) checkTranslation(`${JSON.stringify(text)} (${where})`, text, bundle[text], problems);
  for (const [kind, table] of Object.entries(webviewStrings)) {
    for (const [key, text] of Object.entries(table as Record<string, string>)) checkTranslation(`${JSON.stringify(text)} (webviewStrings.${kind}.${key})`, text, bundle[text], problems);
  }
  assert.deepEqual(problems, []);
});
