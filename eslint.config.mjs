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
    // The core and the shared protocol are pure: no VS Code API (architecture.md).
    files: ['src/core/**/*.ts', 'src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'src/core and src/shared must stay pure: never import vscode.' }] }],
    },
  },
);
