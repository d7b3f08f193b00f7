// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

// Web application (web/src, style rule 13): shared code (lib, components) → features → app
// shell, one way only, and no feature reaching into another. Crossing between these folders
// goes through the `@/` alias, so the rules below can see it.
const WEB_FEATURES = ['auth', 'catalogue', 'me', 'mentor', 'admin'];
const upAndOut = { group: ['../../*'], message: 'Import other web/src folders through @/.' };

// Service (src/, style rules 4 and 8, issue 14): the boundaries a newcomer relies on.
// - Only repositories, table definitions, seeders, db/ and the keyset helper use query
//   builders or the driver (types of `pg` handles may pass through anywhere).
// - Services and policies never use route schemas' values (the API mapping belongs to routes).
// - A feature reaches another only through the files that feature lists as its public
//   module here (docs/architecture.md).
const FEATURES = ['auth', 'events', 'health', 'mail', 'outbox', 'projects', 'users', 'webhooks'];
const FEATURE_PUBLIC = {
  auth: [
    'account-throttle',
    'auth.errors',
    'auth.service',
    'auth.schemas',
    'passwords',
    'tokens',
    'sessions.repository',
  ],
  events: ['broker', 'consumer', 'routes', 'topology'],
  health: [],
  mail: [],
  outbox: ['catalogue', 'outbox.writer', 'user-events', 'outbox.repository'],
  projects: [],
  users: ['account-mail', 'users.table', 'users.repository', 'users.schemas'],
  webhooks: [],
};
const SQL_FILES = [
  'src/db/**',
  'src/lib/pagination.ts',
  'src/modules/*/*.repository.ts',
  'src/modules/*/*.table.ts',
  'src/modules/*/seed.ts',
];
const noQueryBuilders = {
  paths: [
    {
      name: 'pg',
      allowTypeImports: true,
      message: 'Only repositories and db/ talk to the database (style rule 4).',
    },
  ],
  patterns: [
    {
      group: ['drizzle-orm', 'drizzle-orm/*'],
      allowTypeImports: true,
      message: 'Only repositories and db/ build queries (style rule 4).',
    },
  ],
};
const noRouteSchemas = {
  group: ['./*.schemas.js', '../*/*.schemas.js'],
  allowTypeImports: true,
  message: 'Services return domain objects; routes map them to API shapes (issue 14).',
};
const crossFeature = (feature) =>
  FEATURES.filter((f) => f !== feature).map((other) => ({
    regex:
      FEATURE_PUBLIC[other].length === 0
        ? `^(\\.\\./)+${other}/`
        : `^(\\.\\./)+${other}/(?!(${FEATURE_PUBLIC[other].join('|').replace(/\./g, '\\.')})\\.js$)`,
    message: `Reach ${other}/ only through its public files (FEATURE_PUBLIC in eslint.config.js).`,
  }));
const restrict = (paths, patterns) => ({
  'no-restricted-imports': ['error', { paths, patterns }],
});
const serviceFiles = (f) => [
  `src/modules/${f}/*.service.ts`,
  `src/modules/${f}/*.policy.ts`,
  `src/modules/${f}/*.repository.ts`,
];
const serverBoundaries = [
  {
    files: ['src/**/*.ts'],
    ignores: ['**/*.test.ts', ...SQL_FILES, 'src/modules/**'],
    rules: restrict(noQueryBuilders.paths, noQueryBuilders.patterns),
  },
  ...FEATURES.flatMap((f) => [
    {
      files: [`src/modules/${f}/**/*.ts`],
      ignores: ['**/*.test.ts', ...SQL_FILES, ...serviceFiles(f)],
      rules: restrict(noQueryBuilders.paths, [...noQueryBuilders.patterns, ...crossFeature(f)]),
    },
    {
      files: [
        `src/modules/${f}/*.table.ts`,
        `src/modules/${f}/seed.ts`,
        `src/modules/${f}/*.relay.ts`,
      ],
      ignores: ['**/*.test.ts'],
      rules: restrict([], crossFeature(f)),
    },
    {
      files: [`src/modules/${f}/*.repository.ts`],
      ignores: ['**/*.test.ts'],
      rules: restrict([], [noRouteSchemas, ...crossFeature(f)]),
    },
    {
      files: [`src/modules/${f}/*.service.ts`, `src/modules/${f}/*.policy.ts`],
      ignores: ['**/*.test.ts'],
      rules: restrict(noQueryBuilders.paths, [
        ...noQueryBuilders.patterns,
        noRouteSchemas,
        ...crossFeature(f),
      ]),
    },
  ]),
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'migrations/**',
      '.tmp/**',
      'coverage/**',
      'web/src/lib/api/schema.d.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's describe/test return promises the runner itself awaits.
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
      // Fastify plugins and hooks are async by contract, with or without an await inside.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      curly: ['error', 'all'],
      'no-console': 'off',
    },
  },
  ...serverBoundaries,
  {
    files: ['web/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
    },
  },
  {
    files: ['web/src/lib/**', 'web/src/components/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            upAndOut,
            { group: ['@/features/*', '@/app/*'], message: 'Shared code imports no feature.' },
          ],
        },
      ],
    },
  },
  ...WEB_FEATURES.map((feature) => ({
    files: [`web/src/features/${feature}/**`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            upAndOut,
            { group: ['@/app/*'], message: 'Features do not import the app shell.' },
            {
              group: WEB_FEATURES.filter((f) => f !== feature).map((f) => `@/features/${f}/*`),
              message: 'A feature does not reach into another (style rule 13).',
            },
          ],
        },
      ],
    },
  })),
  {
    files: ['eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
