import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'models/weights/**', 'dist/**', 'coverage/**', '**/*.onnx'] },
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
    // core/ stays free of platform, runtime and storage-driver libraries.
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
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
            '../bots/*',
            '../infra/*',
            '../models/*',
            '../scrapers/*',
          ],
        },
      ],
    },
  },
  {
    // The dashboard's client: plain ES modules run in the browser.
    files: ['dashboard/public/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
