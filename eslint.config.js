// One lint configuration for the whole repository: the API (TypeScript on Node) and the web app
// (TypeScript + Svelte 5). Formatting is Prettier's job (`.prettierrc`); eslint-config-prettier
// turns off every rule that would argue with it.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'eslint/config';
import { builtinRules } from 'eslint/use-at-your-own-risk';
import prettier from 'eslint-config-prettier';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import svelteConfig from './frontend/svelte.config.js';

const root = path.dirname(fileURLToPath(import.meta.url));

// ESLint's own recommended set, read from the rules' metadata (what `@eslint/js` publishes as
// `configs.recommended`; that package is not installed here).
const eslintRecommended = {
  rules: Object.fromEntries([...builtinRules].filter(([, rule]) => rule.meta?.docs?.recommended).map(([name]) => [name, 'error'])),
};

export default defineConfig(
  {
    ignores: [
      '**/node_modules/',
      '**/.svelte-kit/',
      '.data/',
      'coverage/',
      'frontend/build/',
      'backend/dist/',
      // Generated from the API's OpenAPI document (`npm run gen:api -w frontend`).
      'frontend/src/lib/api/schema.d.ts',
    ],
  },
  eslintRecommended,
  // Syntax-level rules only: the type-aware sets need a TypeScript program per file and make a
  // lint run several times slower on this machine, while `tsc`/`svelte-check` already type-check.
  tseslint.configs.recommended,
  svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      // Imported modules are read with the TypeScript parser, also when the importer is a .svelte file.
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.js', '.mjs'] },
      'import-x/resolver-next': [
        createNodeResolver({
          extensions: ['.ts', '.js', '.mjs', '.json'],
          // The API imports its own TypeScript files by their emitted name (`./x.js`).
          extensionAlias: { '.js': ['.ts', '.js'] },
          alias: { $lib: [path.join(root, 'frontend/src/lib')] },
        }),
      ],
    },
    rules: {
      // A cycle makes load order matter and hides which module owns what.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-self-import': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    files: ['frontend/**/*.svelte', 'frontend/**/*.svelte.ts', 'frontend/**/*.svelte.js'],
    languageOptions: {
      globals: { ...globals.browser },
      parserOptions: {
        projectService: false,
        extraFileExtensions: ['.svelte'],
        parser: tseslint.parser,
        svelteConfig,
      },
    },
    rules: {
      // TypeScript (svelte-check) resolves names, DOM types such as `AutoFill` included.
      'no-undef': 'off',
      // The app is served at the root (no `kit.paths.base`): a plain `href="/cases"` is right.
      'svelte/no-navigation-without-resolve': 'off',
      // It reports every Map, Set or URLSearchParams mutated anywhere in a component, also the
      // locals a `$derived` computation builds and returns; no component keeps one as state.
      'svelte/prefer-svelte-reactivity': 'off',
    },
  },
  {
    files: ['frontend/src/**/*.ts'],
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
  },
  prettier,
  svelte.configs.prettier,
);
