export { DocumentHistory } from './DocumentHistory.ts'
export type { HistoryEntry, HistorySource, PointInHistory } from './DocumentHistory.ts'
