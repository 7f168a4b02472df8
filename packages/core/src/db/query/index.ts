export { QueryEngine } from './QueryEngine.ts'
export type { SearchOptions, SearchHit } from './SearchIndex.ts'
export type { Condition, IndexSpec, Query, QueryHit, QueryResult, QuerySource, Scalar, Where } from './types.ts'
