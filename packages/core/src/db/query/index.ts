export { IndexStateStore } from './IndexStateStore.ts'
export { QueryEngine } from './QueryEngine.ts'
export type { SearchOptions, SearchHit } from './SearchIndex.ts'
export type {
  Condition,
  IndexOpened,
  IndexReport,
  IndexSpec,
  Query,
  QueryHit,
  QueryResult,
  QuerySource,
  Scalar,
  Where,
} from './types.ts'
