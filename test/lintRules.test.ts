/**
 * The rules that keep the architecture: the layer order of packages/core/src (an ESLint rule) and
 * no import cycle (scripts/checkCycles.ts), each shown to catch what it is for.
 */
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'
import { findCycles } from '../scripts/checkCycles.ts'

const eslint = new ESLint({
  // Only the import rules are looked at here; the type-aware parser is not needed for them.
  overrideConfig: {
    languageOptions: { parserOptions: { projectService: false, project: null } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-misused-promises': 'off',
      '@typescript-eslint/await-thenable': 'off',
    },
  },
})

async function importMessages(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path })
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message)
}

describe('the core layer order (ESLint)', () => {
  it('refuses an upward import between layer folders', async () => {
    const messages = await importMessages(
      'packages/core/src/codec/probe.ts',
      "import { AuditLog } from '../audit/index.ts'\nvoid AuditLog\n",
    )
    expect(messages).toHaveLength(1)
    expect(messages[0]).toMatch(/layer order/)
    expect(
      await importMessages(
        'packages/core/src/sync/reconcile/probe.ts',
        "import { x } from '../../orchestrator/x.ts'\nvoid x\n",
      ),
    ).toHaveLength(1)
  })

  it('refuses a layer importing the root assembly, and a leaf file importing a layer', async () => {
    expect(
      await importMessages('packages/core/src/db/probe.ts', "import { Tenant } from '../Tenant.ts'\nvoid Tenant\n"),
    ).toHaveLength(1)
    expect(
      await importMessages('packages/core/src/errors.ts', "import { x } from './codec/index.ts'\nvoid x\n"),
    ).toHaveLength(1)
  })

  it('allows a downward import', async () => {
    expect(
      await importMessages(
        'packages/core/src/sync/probe.ts',
        "import { x } from '../store/index.ts'\nimport { y } from '../codec/index.ts'\nvoid x, y\n",
      ),
    ).toEqual([])
  })
})

describe('the cycle check', () => {
  it('finds a cycle, and only the files on it', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ])
    expect(findCycles(graph)).toEqual([['a', 'b', 'c']])
    expect(
      findCycles(
        new Map([
          ['a', ['b']],
          ['b', []],
        ]),
      ),
    ).toEqual([])
    expect(findCycles(new Map([['a', ['a']]]))).toEqual([['a']])
  })
})
