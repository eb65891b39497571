// ESLint: the house rules that a type-checker does not enforce.
import tseslint from 'typescript-eslint';

const noDefaultExport = {
  selector: 'ExportDefaultDeclaration',
  message: 'No default exports (house style): export named symbols.',
};

export default tseslint.config(
  { ignores: ['dist/**', 'dist-test/**', 'dist-scripts/**', 'node_modules/**', 'test-results/**', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', noDefaultExport],
      // Vocabularies and weights are loaded lazily with require() of computed paths.
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // The extension layers import core modules directly: the core index would pull the whole core
    // (tokenizer engines, the forward pass, training) into dist/extension.js and slow activation.
    files: ['src/**/*.ts'],
    ignores: ['src/core/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: ['../core', './core', '../core/index', './core/index'].map((name) => ({ name, message: 'Import the core module you need (e.g. ../core/kvcache/bytes), not the core index.' })) }],
    },
  },
  {
    // The core and the shared protocol are pure: no VS Code API (architecture.md).
    files: ['src/core/**/*.ts', 'src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'src/core and src/shared must stay pure: never import vscode.' }] }],
    },
  },
);
