import type { Command } from 'commander'
import { ExitCode } from '../failure.ts'
import { withTenant, type Run } from './tenant.ts'

/** `weft verify`: store integrity, every entry's hash and signature, and the audit trail. */
export function verifyCommand(program: Command, run: Run): void {
  program
    .command('verify')
    .description("check a tenant's stores (indexes, hashes, signatures) and its audit trail; exit 1 on any problem")
    .action(
      run(async (out, options) => {
        await withTenant(out, options, async (t, folder) => {
          const stores: { store: string; entries: number; problems: string[] }[] = []
          for (const name of await folder.storage.changeStoreNames(`${t.id}/`)) {
            const r = await folder.storage.checkIntegrity(name)
            stores.push({ store: name, entries: r.entries, problems: r.problems })
          }
          const audit = await t.audit.verify()
          const auditProblem = audit.ok ? undefined : `${audit.error.code}: ${audit.error.message}`
          const ok = stores.every((s) => s.problems.length === 0) && audit.ok
          out.result(
            {
              ok,
              stores,
              audit: audit.ok ? { ok: true, records: audit.records } : { ok: false, problem: auditProblem },
            },
            () => [
              ...stores.map(
                (s) =>
                  `${s.problems.length ? 'FAIL' : 'ok  '} ${s.store}: ${s.entries} entries${s.problems.length ? `, ${s.problems.length} problems` : ''}`,
              ),
              ...stores.flatMap((s) => s.problems.map((p) => `     ${s.store}: ${p}`)),
              audit.ok ? `ok   audit trail: ${audit.records} records` : `FAIL audit trail: ${auditProblem}`,
              ok ? 'verified: no problems' : 'verification FAILED',
            ],
          )
          if (!ok) process.exitCode = ExitCode.failed
        })
      }),
    )
}
