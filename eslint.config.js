// ESLint (flat config): typescript-eslint's type-checked recommended rules over every TypeScript source;
// formatting is Prettier's job (eslint-config-prettier turns off the rules that would fight it).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'scratch/', 'out/', 'runs/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      'no-duplicate-imports': 'error',
      // `any` comes from JSON.parse (manifests, metadata, checkpoints, palettes, the CLI's --json output in tests), read field by field in some 150 places; typing those reads is a change of its own.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      // Promise-returning interfaces (Command.run, Dataset.load, ava tests) are implemented as async functions even where nothing is awaited, so a throw becomes a rejection.
      '@typescript-eslint/require-await': 'off',
      // `{}` is the attributes type of an op without attributes (OpDef<{}>).
      '@typescript-eslint/no-empty-object-type': 'off',
      // Messages print shapes (number arrays) and tensors (Tensor.toString names them).
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true, allowArray: true, allowNever: true, allow: [{ from: 'file', name: ['Tensor', 'Shape'] }] },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    files: ['bin/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  prettier,
);
