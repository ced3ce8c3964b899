// ESLint for the TypeScript tree (`npm run lint`): ESLint's and typescript-eslint's recommended rules,
// without type information (type-aware rules cost minutes on this project's 2-core machines).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'node_modules/', '.venv/', 'client/python/', 'shared/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: globals.node },
    rules: {
      // A leading underscore marks a binding kept for its position (a parameter, a destructured element).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Names and CSV/SVG text are validated or escaped by matching control characters on purpose.
      'no-control-regex': 'off',
    },
  },
  // The dashboard's page script runs in the browser beside uPlot's global (served from its npm package).
  { files: ['cache-server/ops/dashboard/**/*.js'], languageOptions: { sourceType: 'script', globals: { ...globals.browser, uPlot: 'readonly' } } },
);
