/**
 * @packageDocumentation
 * Test kit for `ChangeStore` backends: the conformance suite every backend runs, and an entry
 * factory for making valid signed entries. Needs `vitest` and `fast-check` (dev dependencies).
 */
export { runChangeStoreTests } from './runChangeStoreTests.ts'
export type { StoreHarness, StoreCapabilities } from './runChangeStoreTests.ts'
export { EntryFactory, envelope, withBadSignature } from './fixtures.ts'
export { AppendRecorder } from './AppendRecorder.ts'
