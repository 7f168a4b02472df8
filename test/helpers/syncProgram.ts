import fc from 'fast-check'
import type { KeyHandOff } from './tenants.ts'

/**
 * The random programs of the convergence simulation: plain, printable values, so a failing
 * program shrinks and reads as a schedule. Replica indices are taken modulo the replica count.
 */

export const VIAS = [
  'pull',
  'push',
  'pushToStore',
  'both',
  'incremental',
  'incrementalToStore',
  'filtered',
  'filteredToStore',
] as const
export type Via = (typeof VIAS)[number]
export const FAULTS = ['drop', 'twice', 'replay', 'partial'] as const
/** `none` delivers normally; `drop` skips the transfer; `twice` runs it twice; `replay` re-appends
 * entries already delivered; `partial` delivers a random subset of what is missing, shuffled. */
export type Fault = 'none' | (typeof FAULTS)[number]
export type FilterName = 'public' | 'even'
export type Field = 'title' | 'n' | 'visibility'

export interface SyncStep {
  readonly op: 'sync'
  readonly via: Via
  readonly from: number
  readonly to: number
  readonly fault: Fault
  readonly filter: FilterName
  /** Drives the step's own random choices (subsets, source as store or database). */
  readonly seed: number
  readonly pageSize: number
}

export type Step =
  | { readonly op: 'create'; readonly at: number; readonly visibility: 'public' | 'private'; readonly n: number }
  | { readonly op: 'set'; readonly at: number; readonly pick: number; readonly field: Field; readonly value: number }
  | { readonly op: 'append'; readonly at: number; readonly pick: number; readonly value: number }
  | { readonly op: 'delete'; readonly at: number; readonly pick: number }
  | SyncStep
  | { readonly op: 'parallel'; readonly a: SyncStep; readonly b: SyncStep }
  | { readonly op: 'observe'; readonly at: number; readonly yields: number; readonly pageSize: number }
  | { readonly op: 'reopen'; readonly at: number }

export interface Program {
  readonly replicas: number
  readonly snapshotEvery: number
  readonly keyHandOff: KeyHandOff
  readonly steps: readonly Step[]
  /** Drives the final random-resume cursor walk. */
  readonly walkSeed: number
}

const replica = fc.nat({ max: 4 })
const syncStep: fc.Arbitrary<SyncStep> = fc.record({
  op: fc.constant('sync' as const),
  via: fc.constantFrom(...VIAS),
  from: replica,
  to: replica,
  fault: fc.oneof(
    { weight: 4, arbitrary: fc.constant('none' as const) },
    { weight: 2, arbitrary: fc.constant('partial' as const) },
    { weight: 3, arbitrary: fc.constantFrom(...FAULTS) },
  ),
  filter: fc.constantFrom('public' as const, 'even' as const),
  seed: fc.nat(),
  pageSize: fc.integer({ min: 1, max: 4 }),
})
const pick = fc.nat({ max: 20 })
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('create' as const),
      at: replica,
      visibility: fc.constantFrom('public' as const, 'private' as const),
      n: fc.nat({ max: 9 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('set' as const),
      at: replica,
      pick,
      field: fc.constantFrom<Field>('title', 'n', 'visibility'),
      value: fc.nat({ max: 9 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('append' as const), at: replica, pick, value: fc.nat({ max: 99 }) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), at: replica, pick }) },
  { weight: 6, arbitrary: syncStep },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('parallel' as const), a: syncStep, b: syncStep }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('observe' as const),
      at: replica,
      yields: fc.integer({ min: 1, max: 4 }),
      pageSize: fc.integer({ min: 1, max: 5 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('reopen' as const), at: replica }) },
)
export const program: fc.Arbitrary<Program> = fc.record({
  replicas: fc.integer({ min: 2, max: 5 }),
  snapshotEvery: fc.constantFrom(1, 2, 3, 500),
  keyHandOff: fc.constantFrom<KeyHandOff>('password-blob', 'sealed'),
  steps: fc.array(step, { minLength: 1, maxLength: 30, size: 'max' }),
  walkSeed: fc.nat(),
})
