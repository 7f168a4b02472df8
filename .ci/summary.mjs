// Prints "N passed, M failed" from vitest's JSON report. A run that produced no report (the type
// check failed first, or vitest crashed) counts as one failure so CI can never read it as green.
import { existsSync, readFileSync } from 'node:fs'

const [file, status] = process.argv.slice(2)
if (!file || !existsSync(file)) {
  console.log('0 passed, 1 failed')
  process.exit(0)
}
const r = JSON.parse(readFileSync(file, 'utf8'))
const passed = r.numPassedTests ?? 0
let failed = (r.numFailedTests ?? 0) + (r.numRuntimeErrorTestSuites ?? 0)
if (failed === 0 && Number(status) !== 0) failed = 1
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0)
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''))
