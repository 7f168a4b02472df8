/** What a host publishes about its tenant for the web console, and how the console reads it back. */
export { StatusPublisher } from './StatusPublisher.ts'
export type { StatusPublisherOptions } from './StatusPublisher.ts'
export { parseStatusReport, REPORT_KIND, STATUS_DB } from './statusReport.ts'
export type {
  StatusReport,
  ReportedRelationship,
  ReportedDatabase,
  ReportedGrant,
  ReportedAudit,
  ReportedError,
} from './statusReport.ts'
