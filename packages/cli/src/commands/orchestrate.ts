import type { Command } from 'commander'
import { MultiTenantSyncOrchestrator, type SyncPeer, type Tenant } from '@weft/core'
import { GrantRelay } from '@weft/client'
import { Folder } from '../context.ts'
import { ExitCode } from '../failure.ts'
import { readOrchestrateConfig, type OrchestrateConfig } from '../orchestrateConfig.ts'
import type { Output } from '../output.ts'
import { readPassword } from '../password.ts'
import type { Run } from './tenant.ts'

/**
 * `weft orchestrate --config weft.config.json`: runs a MultiTenantSyncOrchestrator over the
 * config's tenants and relationships, logs every round, and stops cleanly on SIGINT or SIGTERM
 * (the running round finishes, cursors are saved). `--once` runs one round of every relationship
 * and exits: 0 when all succeeded, 1 otherwise.
 */
export function orchestrateCommand(program: Command, run: Run): void {
  program
    .command('orchestrate')
    .description('run sync relationships from a config file until SIGINT/SIGTERM, logging each round')
    .requiredOption('--config <file>', 'the config (docs/cli.md#weft-orchestrate)')
    .option('--once', 'run one round of every relationship, then exit')
    .action(
      run(async (out, options) => {
        const config = await readOrchestrateConfig(String(options.config))
        const opened = await openTenants(config, out)
        const relays: GrantRelay[] = []
        const orchestrator = new MultiTenantSyncOrchestrator({
          ...(config.intervalMs !== undefined ? { intervalMs: config.intervalMs } : {}),
          ...(config.concurrency !== undefined ? { concurrency: config.concurrency } : {}),
        })
        try {
          logRounds(orchestrator, out)
          for (const r of config.relationships) {
            const local = opened.tenants.get(r.local)!
            let partner: SyncPeer
            if ('tenant' in r.partner) partner = opened.tenants.get(r.partner.tenant)!
            else {
              const relay = new GrantRelay({ url: r.partner.relay, tenant: local })
              relays.push(relay)
              partner = await relay.peer(r.partner.grant)
            }
            const grantId = r.grant ?? ('grant' in r.partner ? r.partner.grant : undefined)
            await orchestrator.addRelationship(r.id, local, partner, r.databases, {
              ...(r.direction ? { direction: r.direction } : {}),
              ...(r.intervalMs ? { intervalMs: r.intervalMs } : {}),
              ...(r.filter ? { filter: r.filter } : {}),
              ...(r.attachments ? { attachments: r.attachments } : {}),
              ...(grantId !== undefined ? { grantId } : {}),
            })
          }
          if (options.once) {
            const result = await orchestrator.syncAll()
            out.result(
              {
                synced: result.synced,
                failed: result.failed.map((f) => ({ id: f.id, code: f.error.code, message: f.error.message })),
                sent: result.sent,
                received: result.received,
              },
              () => [
                `round: ${result.synced.length} synced, ${result.failed.length} failed, ${result.sent} sent, ${result.received} received`,
              ],
            )
            if (result.failed.length) process.exitCode = ExitCode.failed
            return
          }
          orchestrator.start()
          out.note(
            `orchestrating ${config.relationships.length} relationships of ${opened.tenants.size} tenants; SIGINT or SIGTERM stops`,
          )
          const signal = await new Promise<string>((resolve) => {
            process.once('SIGINT', () => resolve('SIGINT'))
            process.once('SIGTERM', () => resolve('SIGTERM'))
          })
          out.note(`${signal}: stopping after the running rounds`)
          await orchestrator.stop()
          out.note('stopped')
        } finally {
          for (const relay of relays) await relay.close()
          await opened.close()
        }
      }),
    )
}

function logRounds(orchestrator: MultiTenantSyncOrchestrator, out: Output): void {
  const line = (value: Record<string, unknown>, text: string) =>
    out.note(
      out.json ? JSON.stringify({ at: new Date().toISOString(), ...value }) : `${new Date().toISOString()} ${text}`,
    )
  orchestrator.on('sync-completed', (e) =>
    line(
      { event: 'sync-completed', ...e },
      `${e.relationshipId}: sent ${e.sent}, received ${e.received} in ${Math.round(e.durationMs)} ms`,
    ),
  )
  orchestrator.on('sync-failed', (e) =>
    line(
      {
        event: 'sync-failed',
        relationshipId: e.relationshipId,
        code: e.error.code,
        message: e.error.message,
        consecutiveFailures: e.consecutiveFailures,
        retryAt: new Date(e.retryAt).toISOString(),
      },
      `${e.relationshipId}: FAILED ${e.error.code} (${e.error.message}); attempt ${e.consecutiveFailures}, retry at ${new Date(e.retryAt).toISOString()}`,
    ),
  )
}

/** Opens every tenant of the config, one storage per data folder (LevelDB locks a folder). */
async function openTenants(
  config: OrchestrateConfig,
  out: Output,
): Promise<{ tenants: Map<string, Tenant>; close(): Promise<void> }> {
  const folders = new Map<string, Folder>()
  const tenants = new Map<string, Tenant>()
  const close = async () => {
    for (const t of tenants.values()) await t.close()
    for (const f of folders.values()) await f.close()
  }
  try {
    for (const t of config.tenants) {
      let folder = folders.get(t.data)
      if (!folder) folders.set(t.data, (folder = Folder.open(t.data)))
      const password = await readPassword({
        ...(t.passwordFile !== undefined ? { file: t.passwordFile } : {}),
        envName: t.passwordEnv ?? 'WEFT_PASSWORD',
        env: out.env,
        prompt: `Password of ${t.id}: `,
      })
      tenants.set(t.id, await folder.factory.openTenant(t.id, { password }))
    }
  } catch (err) {
    await close()
    throw err
  }
  return { tenants, close }
}
