/**
 * @packageDocumentation
 * The `weft` command line: create and inspect tenants in a LevelDB data folder, show databases,
 * documents and their history, verify stores and audit trails, sync a database between folders and
 * servers with progress, and back up and restore a tenant as ciphertext. {@link runCli} runs it in
 * process; the `weft` bin runs it with plain `node`.
 */
export { runCli } from './program.ts'
export { ExitCode } from './failure.ts'
export type { CliIo } from './program.ts'
