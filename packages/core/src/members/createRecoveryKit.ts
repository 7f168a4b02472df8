import { toHex } from '../codec/index.ts'
import { randomBytes } from '../crypto/index.ts'
import type { MemberDirectory, MembersHost } from './MemberDirectory.ts'
import { appendRecoveryKit, newRecoveryCode, recoveryKeys } from './recoveryKit.ts'

/** The directory user every recovery device belongs to. */
export const RECOVERY_USER = 'recovery'

/**
 * Makes a new recovery code: registers the device it derives as an admin device of the user
 * `recovery` (removing the device of any earlier kit, so an old code stops working), and writes
 * the tenant's keys into the directory encrypted under a key only the code derives. The code is
 * returned once and stored nowhere.
 */
export async function createRecoveryKit(dir: MemberDirectory, host: MembersHost): Promise<string> {
  const state = await dir.requireAdmin()
  for (const d of state.devices.values()) if (d.userId === RECOVERY_USER && !d.removed) await dir.removeDevice(d.id)
  const code = newRecoveryCode()
  const keys = recoveryKeys(code)
  await dir.addDevice({
    op: 'add-device',
    userId: RECOVERY_USER,
    name: 'Recovery kit',
    role: 'admin',
    device: { key: keys.signing.publicKey, box: keys.box.publicKey },
    joinId: `recovery-${toHex(randomBytes(16))}`,
  })
  await appendRecoveryKit(
    await host.openDirectoryStore(),
    host.tenantId,
    { root: host.root, keys: host.keyBag.toRecord() },
    keys.kitKey,
    host.identity.signing,
  )
  return code
}
