import type { Command } from 'commander'
import { Folder, openTenant, tenantIdOf, type TenantOptions } from '../context.ts'
import { readPassword } from '../password.ts'
import type { Output } from '../output.ts'

/** Wraps a command's action: parses global options, prints failures, sets the exit code. */
export type Run = (
  action: (out: Output, options: TenantOptions & Record<string, unknown>, ...args: string[]) => Promise<void>,
) => (...args: unknown[]) => Promise<void>

/** `weft tenant create|open|info|list|change-password`. */
export function tenantCommands(program: Command, run: Run): void {
  const tenant = program.command('tenant').description('create, open and describe tenants in a data folder')

  tenant
    .command('create')
    .description('create a tenant (asks for a new password twice on a terminal)')
    .action(
      run(async (out, options) => {
        const folder = Folder.open(options.data, { create: true })
        try {
          const password = await readPassword({
            ...(options.passwordFile !== undefined ? { file: options.passwordFile } : {}),
            envName: 'WEFT_PASSWORD',
            env: out.env,
            prompt: `New password for ${tenantIdOf(options)}: `,
            confirm: true,
          })
          const t = await folder.factory.createTenant({ tenantId: tenantIdOf(options), password })
          const device = t.publicProfile().signingKey
          await t.close()
          out.result({ tenant: t.id, device }, () => [`created tenant ${t.id}`, `device key ${device}`])
        } finally {
          await folder.close()
        }
      }),
    )

  tenant
    .command('open')
    .description('check that the password opens the tenant')
    .action(
      run(async (out, options) => {
        await withTenant(out, options, async (t) =>
          out.result({ tenant: t.id, opened: true }, () => [`opened ${t.id}`]),
        )
      }),
    )

  tenant
    .command('list')
    .description('the tenants a data folder holds (no password needed)')
    .action(
      run(async (out, options) => {
        const folder = Folder.open(options.data)
        try {
          const tenants = await folder.factory.listTenants()
          out.result({ tenants }, () => (tenants.length ? tenants : ['(no tenants)']))
        } finally {
          await folder.close()
        }
      }),
    )

  tenant
    .command('info')
    .description('keys, databases, partners, members and the audit head of a tenant')
    .action(
      run(async (out, options) => {
        await withTenant(out, options, async (t, folder) => {
          const prefix = `${t.id}/`
          const databases = (await folder.storage.changeStoreNames(prefix)).map((n) => n.slice(prefix.length))
          const keys = t.keyBag.keyIds().map((id) => ({ id, versions: t.keyBag.versions(id).map((v) => v.version) }))
          const partners = t.partners().map((p) => p.profile.tenantId)
          const members = (await t.members.list()).map((m) => ({
            user: m.name,
            role: m.role,
            removed: m.removed,
            devices: m.devices.length,
          }))
          const audit = await t.audit.head()
          const info = {
            tenant: t.id,
            device: t.publicProfile().signingKey,
            databases,
            keys,
            partners,
            members,
            auditRecords: audit ? audit.seq + 1 : 0,
          }
          out.result(info, () => [
            `tenant    ${info.tenant}`,
            `device    ${info.device}`,
            `databases ${databases.join(', ') || '(none)'}`,
            `keys      ${keys.map((k) => `${k.id} v${k.versions.join(',v')}`).join('; ')}`,
            `partners  ${partners.join(', ') || '(none)'}`,
            `members   ${members.map((m) => `${m.user} (${m.role}${m.removed ? ', removed' : ''}, ${m.devices} devices)`).join('; ') || '(this device only)'}`,
            `audit     ${info.auditRecords} records`,
          ])
        })
      }),
    )

  tenant
    .command('change-password')
    .description(
      "change this folder's password of the tenant (new one from WEFT_NEW_PASSWORD, --new-password-file or a prompt)",
    )
    .option('--new-password-file <file>', 'a file whose first line is the new password')
    .action(
      run(async (out, options) => {
        await withTenant(out, options, async (t) => {
          const old = await readPassword({
            ...(options.passwordFile !== undefined ? { file: options.passwordFile } : {}),
            envName: 'WEFT_PASSWORD',
            env: out.env,
            prompt: 'Current password: ',
          })
          const next = await readPassword({
            ...(typeof options.newPasswordFile === 'string' ? { file: options.newPasswordFile } : {}),
            envName: 'WEFT_NEW_PASSWORD',
            env: out.env,
            prompt: 'New password: ',
            confirm: true,
          })
          await t.changePassword(old, next)
          out.result({ tenant: t.id, changed: true }, () => [`password of ${t.id} changed`])
        })
      }),
    )
}

/** Opens the folder and the tenant, runs `body`, closes both. */
export async function withTenant(
  out: Output,
  options: TenantOptions,
  body: (t: Awaited<ReturnType<typeof openTenant>>, folder: Folder) => Promise<void>,
): Promise<void> {
  const folder = Folder.open(options.data)
  try {
    const t = await openTenant(folder, options, out)
    try {
      await body(t, folder)
    } finally {
      await t.close()
    }
  } finally {
    await folder.close()
  }
}
