/**
 * Joining a notebook from a new device: paste the join string from a device that has it, choose
 * a password for this device, copy the request it makes over to that device, paste its answer
 * back. Then the notebook opens here and syncs through the relay.
 */
import { joinRequestToString, type Tenant, type TenantFactory } from '@weft/core'
import { parseInvite, SYNC_KEY } from './relay.ts'

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T

/** Wires the join forms; `joined` opens the notebook once this device is in. */
export function setUpJoin(factory: TenantFactory, joined: (tenant: Tenant) => Promise<void>): void {
  let request: { text: string; relay: string; password: string } | undefined
  const error = $('join-error')

  $('join-start').addEventListener('submit', (event) => {
    event.preventDefault()
    error.textContent = ''
    void (async () => {
      try {
        const invite = parseInvite($<HTMLTextAreaElement>('invite').value)
        const password = $<HTMLInputElement>('join-password').value
        const r = await factory.createJoinRequest({ tenantId: invite.tenantId, userName: 'Another device', password })
        request = { text: joinRequestToString(r), relay: invite.relay, password }
        $<HTMLTextAreaElement>('request-text').value = request.text
        $('join-request').hidden = false
      } catch (err) {
        error.textContent = `Could not make a request: ${String(err instanceof Error ? err.message : err)}`
      }
    })()
  })

  $('join-finish').addEventListener('submit', (event) => {
    event.preventDefault()
    error.textContent = ''
    void (async () => {
      try {
        if (!request) throw new Error('make a request first')
        const response = JSON.parse($<HTMLTextAreaElement>('response').value) as unknown
        const tenant = await factory.joinTenant(request.text, response, { password: request.password })
        localStorage.setItem(SYNC_KEY, request.relay)
        $('join').hidden = true
        await joined(tenant)
      } catch (err) {
        error.textContent = `Could not join: ${String(err instanceof Error ? err.message : err)}`
      }
    })()
  })
}
