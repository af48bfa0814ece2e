// npm run lint: typescript-eslint's recommended rules on the whole tree (formatting is
// Prettier's, checked by the same script), with the few project rules below.
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'dist-bench/**', 'reports/**', 'results/**', '.stryker-tmp*/**', 'node_modules/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Node's globals, for the plain JavaScript files (TypeScript checks its own)
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        module: 'writable',
        require: 'readonly',
        setTimeout: 'readonly',
      },
    },
    rules: {
      // unused arguments are named `_x`; a rest sibling drops a key on purpose
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // test clients and the harness read parsed JSON frames of any shape
    files: ['test/**', 'bench/**', 'tools/**', 'scripts/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Nest's ESM declaration merging: an interface and an injection token of the same name
    files: ['src/**/*.ts'],
    rules: { '@typescript-eslint/no-redeclare': 'off' },
  },
);
