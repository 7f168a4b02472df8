/**
 * Signing in as a tenant admin: this browser holds a device of the tenant in IndexedDB, its keys
 * sealed under a password that never leaves the browser. The first time, the browser makes a join
 * request (a new device key, made here), an admin device approves it, and the answer is pasted
 * back; afterwards the password unlocks it. The server only ever sees the device's signatures.
 */
import { joinRequestToString, TenantFactory, type Tenant } from '@weft/core'
import { IdbStoreFactory } from '@weft/store-idb'
import { el, message } from './dom.ts'

export const STORAGE = new IdbStoreFactory({ name: 'weft-console' })
const factory = new TenantFactory({ storeFactory: STORAGE })
/** The tenant whose device this browser holds. */
const HELD = 'weft-console:tenant'

function field(label: string, input: HTMLInputElement | HTMLTextAreaElement): HTMLLabelElement {
  return el('label', {}, label, input)
}

/** The tenant-admin card: unlock the device held here, or add this browser as a device. */
export function deviceCard(signedIn: (tenant: Tenant) => void): HTMLElement {
  const held = localStorage.getItem(HELD)
  const error = el('p', { class: 'error', role: 'alert' })
  const card = el(
    'section',
    { class: 'card', 'aria-labelledby': 'device-h' },
    el('h2', { id: 'device-h' }, 'Tenant admin'),
  )
  if (held) {
    const password = el('input', {
      id: 'device-password',
      type: 'password',
      autocomplete: 'current-password',
      required: true,
    })
    const form = el(
      'form',
      {
        'aria-label': 'Unlock this browser’s device',
        onsubmit: (e) => {
          e.preventDefault()
          error.textContent = ''
          void factory.openTenant(held, { password: password.value }).then(
            (t) => signedIn(t),
            (err: unknown) => void (error.textContent = `Could not unlock: ${message(err)}`),
          )
        },
      },
      el(
        'p',
        { class: 'hint' },
        'This browser holds a device of ',
        el('code', {}, held),
        '. Its password unlocks it here; it is never sent.',
      ),
      field('Device password', password),
      el('button', { type: 'submit' }, 'Unlock and sign in'),
    )
    card.append(form, error)
    return card
  }
  const tenantId = el('input', { id: 'join-tenant', autocomplete: 'off', required: true })
  const name = el('input', { id: 'join-name', autocomplete: 'name', required: true, value: 'Console' })
  const password = el('input', { id: 'join-password', type: 'password', autocomplete: 'new-password', required: true })
  const request = el('textarea', { id: 'join-request', readonly: true })
  const response = el('textarea', { id: 'join-response', required: true })
  let pending: { text: string; tenantId: string; password: string } | undefined
  const finish = el(
    'form',
    {
      hidden: true,
      'aria-label': 'Finish joining',
      onsubmit: (e) => {
        e.preventDefault()
        error.textContent = ''
        void (async () => {
          try {
            const p = pending!
            const tenant = await factory.joinTenant(p.text, JSON.parse(response.value) as unknown, {
              password: p.password,
            })
            localStorage.setItem(HELD, p.tenantId)
            signedIn(tenant)
          } catch (err) {
            error.textContent = `Could not join: ${message(err)}`
          }
        })()
      },
    },
    field('Join request: approve it on an admin device (tenant.approveJoinRequest)', request),
    field('Approval (paste the answer here)', response),
    el('button', { type: 'submit' }, 'Join and sign in'),
  )
  const start = el(
    'form',
    {
      'aria-label': 'Add this browser as a device',
      onsubmit: (e) => {
        e.preventDefault()
        error.textContent = ''
        void (async () => {
          try {
            const r = await factory.createJoinRequest({
              tenantId: tenantId.value,
              userName: name.value,
              password: password.value,
            })
            pending = { text: joinRequestToString(r), tenantId: tenantId.value, password: password.value }
            request.value = pending.text
            finish.hidden = false
            request.focus()
          } catch (err) {
            error.textContent = `Could not make a join request: ${message(err)}`
          }
        })()
      },
    },
    el(
      'p',
      { class: 'hint' },
      'Add this browser as a device of your tenant. Its keys are made and kept here, under a password for this browser only.',
    ),
    field('Tenant id', tenantId),
    field('Your name', name),
    field('Password for this browser', password),
    el('button', { type: 'submit' }, 'Make a join request'),
  )
  card.append(start, finish, error)
  return card
}
