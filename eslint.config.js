// @ts-check
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

/**
 * The layer order of packages/core/src: a folder may import only from folders before it (and from
 * the shared leaf files errors.ts, types.ts, ids.ts, abort.ts, events.ts). Nothing imports upward,
 * and no layer imports the root files that assemble them (Tenant.ts, TenantDatabases.ts,
 * TenantFactory.ts, index.ts).
 */
const LAYERS = [
  'codec',
  'crypto',
  'keys',
  'entries',
  'store',
  'tenant',
  'members',
  'presence',
  'db',
  'sync',
  'orchestrator',
  'sharing',
  'audit',
]
const ROOT_ASSEMBLY = ['**/Tenant.ts', '**/TenantDatabases.ts', '**/TenantFactory.ts', '../index.ts', '../../index.ts']

/** @param {readonly string[]} above */
const forbid = (above, message) => ({
  group: above.flatMap((l) => [`**/${l}`, `**/${l}/**`]),
  message,
})

const layerRules = LAYERS.map((layer, i) => ({
  files: [`packages/core/src/${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...(i + 1 < LAYERS.length
            ? [
                forbid(
                  LAYERS.slice(i + 1),
                  `core layer order: ${layer}/ may import only ${LAYERS.slice(0, i).join(', ') || 'the shared leaf files'} (codec → … → audit; nothing imports upward)`,
                ),
              ]
            : []),
          {
            group: ROOT_ASSEMBLY,
            message: `core layer order: ${layer}/ must not import the root assembly (Tenant, TenantDatabases, TenantFactory, index)`,
          },
        ],
      },
    ],
  },
}))

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.weft-data/**', 'examples/browser-notes/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      // The code base prefers explicit `!` where an index or a map lookup is known to exist.
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Warn only: Automerge document data (DocData) and LevelDB values are typed `any` on purpose.
      '@typescript-eslint/no-explicit-any': 'warn',
      // Empty functions are deliberate no-op listeners and catch handlers.
      '@typescript-eslint/no-empty-function': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
      // Validators of canonical text match control characters on purpose (ids, header names).
      'no-control-regex': 'off',
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    // Type-aware rules on the shipped sources, where they are affordable (tests and examples use the
    // syntactic rules only, so `npm run lint` stays quick on a 2-core machine).
    files: ['packages/*/src/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      // Warn only: three Promise.all calls over listeners that may return void are left as they are
      // (KeyBag, MultiTenantSyncOrchestrator, IdbStoreFactory); tighten to 'error' once they are typed.
      '@typescript-eslint/await-thenable': 'warn',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // The shared leaf files of core import no layer at all.
    files: ['packages/core/src/{errors,types,ids,abort,events}.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            forbid(LAYERS, 'core leaf files import no layer folder'),
            { group: ROOT_ASSEMBLY, message: 'core leaf files import no root assembly' },
          ],
        },
      ],
    },
  },
  ...layerRules,
)
