import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** What core/ must never import: libraries of the outer layers, and the outer folders at any depth. */
export const CORE_FORBIDDEN = [
  {
    group: [
      'discord.js',
      'grammy',
      '@grammyjs/*',
      'playwright*',
      'onnxruntime-*',
      'langchain',
      '@langchain/*',
      'keyv',
      '@keyv/*',
      'sharp',
      'pino*',
      '@tensorflow/*',
      'usearch',
      'dotenv',
    ],
    message: 'core/ is plain TypeScript: define a port in core/ports.ts and implement it in infra/ or models/.',
  },
  {
    regex: '^(\\.\\./)+(app|bots|dashboard|infra|models|scrapers|scripts|tests)(/|$)',
    message: 'core/ imports nothing from the outer folders (at any depth): they depend on core, not the reverse.',
  },
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'data/**',
      'models/weights/**',
      'dist/**',
      'coverage/**',
      '**/*.onnx',
      'tests/fixtures/lint/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'warn',
      'no-control-regex': 'off',
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  {
    // core/ stays free of platform, runtime and storage-driver libraries, and imports nothing from the outer
    // folders at any depth (`../bots/x`, `../../bots/x`, …). The full layer rules (and no cycles) are
    // dependency-cruiser's (.dependency-cruiser.cjs), also run by `npm run lint`.
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: CORE_FORBIDDEN }],
    },
  },
  {
    // The dashboard's client: plain ES modules run in the browser.
    files: ['dashboard/public/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
