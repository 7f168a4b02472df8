/**
 * The part of `vitest`'s API the core conformance suite uses (`describe`, `it`, hooks, `expect`),
 * for running it inside a browser page. The bundle for the page replaces the `vitest` module with
 * this file. `expect` is vitest's own (`@vitest/expect` on chai), so assertions behave the same;
 * tests are collected when the suite is registered and run, one after another, by
 * {@link runCollectedTests}.
 */
import {
  chai,
  customMatchers,
  GLOBAL_EXPECT,
  JestAsymmetricMatchers,
  JestChaiExpect,
  JestExtend,
  setState,
  type ExpectStatic,
} from '@vitest/expect'

chai.use(JestExtend)
chai.use(JestChaiExpect)
chai.use(JestAsymmetricMatchers)

type Fn = () => unknown

interface Suite {
  readonly name: string
  readonly parent: Suite | null
  readonly beforeAll: Fn[]
  readonly beforeEach: Fn[]
  readonly afterEach: Fn[]
  readonly afterAll: Fn[]
  readonly children: (Suite | TestCase)[]
}

interface TestCase {
  readonly name: string
  readonly fn: Fn
}

/** Outcome of one collected test. */
export interface TestResult {
  /** The test's name, without its `describe` path. */
  readonly name: string
  /** Names of the enclosing `describe` blocks, outermost first. */
  readonly path: readonly string[]
  readonly ok: boolean
  readonly error?: string
  readonly ms: number
}

const newSuite = (name: string, parent: Suite | null): Suite => ({
  name,
  parent,
  beforeAll: [],
  beforeEach: [],
  afterEach: [],
  afterAll: [],
  children: [],
})

const root = newSuite('', null)
let current = root

export function describe(name: string, body: () => void): void {
  const suite = newSuite(name, current)
  current.children.push(suite)
  current = suite
  try {
    body()
  } finally {
    current = suite.parent!
  }
}

export function it(name: string, fn: Fn): void {
  current.children.push({ name, fn })
}
export const test = it

export const beforeAll = (fn: Fn): void => void current.beforeAll.push(fn)
export const beforeEach = (fn: Fn): void => void current.beforeEach.push(fn)
export const afterEach = (fn: Fn): void => void current.afterEach.push(fn)
export const afterAll = (fn: Fn): void => void current.afterAll.push(fn)

export const expect = Object.assign(
  (value: unknown, message?: string) => chai.expect(value, message),
  chai.expect,
) as unknown as ExpectStatic
setState({ assertionCalls: 0, isExpectingAssertions: false, expectedAssertionsNumber: null }, expect)
;(globalThis as Record<symbol, unknown>)[GLOBAL_EXPECT] = expect
// vitest's own extra matchers (`toSatisfy`, `toBeOneOf`, …), added the way vitest adds them.
;(chai.expect as unknown as { extend(target: ExpectStatic, matchers: typeof customMatchers): void }).extend(
  expect,
  customMatchers,
)

/** Runs every collected test in order, with its hooks; a failing hook fails the tests it guards. */
export async function runCollectedTests(): Promise<TestResult[]> {
  const results: TestResult[] = []
  await runSuite(root, [], [], [], results)
  return results
}

async function runSuite(
  suite: Suite,
  path: string[],
  beforeEachs: Fn[],
  afterEachs: Fn[],
  results: TestResult[],
): Promise<void> {
  const here = suite === root ? path : [...path, suite.name]
  const before = [...beforeEachs, ...suite.beforeEach]
  const after = [...suite.afterEach, ...afterEachs]
  let setupError: unknown
  try {
    for (const hook of suite.beforeAll) await hook()
  } catch (err) {
    setupError = err
  }
  for (const child of suite.children) {
    if ('children' in child) {
      await runSuite(child, here, before, after, results)
      continue
    }
    const started = performance.now()
    let error = setupError
    if (error === undefined) {
      try {
        for (const hook of before) await hook()
        await child.fn()
      } catch (err) {
        error = err
      }
      try {
        for (const hook of after) await hook()
      } catch (err) {
        error ??= err
      }
    }
    const ms = performance.now() - started
    results.push(
      error === undefined
        ? { name: child.name, path: here, ok: true, ms }
        : { name: child.name, path: here, ok: false, error: describeError(error), ms },
    )
  }
  for (const hook of suite.afterAll) await hook()
}

function describeError(err: unknown): string {
  if (err instanceof Error)
    return `${err.name}: ${err.message}${err.stack ? `\n${err.stack.split('\n').slice(1, 6).join('\n')}` : ''}`
  return String(err)
}
