/**
 * The Weft web console (served by the server at /console): a tenant admin's view, computed in
 * this browser from the ciphertext the server returns and the keys of a device held here, and an
 * operator's view of the server's own counters. No framework: a few small modules and the DOM.
 */
import { ready } from '@weft/core'
import { deviceCard, STORAGE } from './deviceSignIn.ts'
import { el, message } from './dom.ts'
import { operatorCard } from './operatorSignIn.ts'
import { showOperator } from './operatorView.ts'
import { showTenant } from './tenantView.ts'

const main = document.getElementById('main')!
const who = document.getElementById('who')!
const signOut = document.getElementById('sign-out') as HTMLButtonElement
const stop = new AbortController()

signOut.addEventListener('click', () => {
  stop.abort()
  location.reload() // drops every key this page held in memory
})

function signedIn(text: string): void {
  who.textContent = text
  signOut.hidden = false
  main.focus()
}

async function boot(): Promise<void> {
  await ready()
  main.replaceChildren(
    el(
      'div',
      { class: 'cards' },
      deviceCard((tenant) => {
        signedIn(`Tenant ${tenant.id}, as this browser’s device`)
        void STORAGE.openKeyValueStore('weft-console-cursors').then((cursors) =>
          showTenant(main, tenant, cursors, stop.signal),
        )
      }),
      operatorCard((key) => {
        signedIn('Operator')
        void showOperator(main, key, stop.signal)
      }),
    ),
  )
  document.body.dataset.ready = 'yes'
}

boot().catch((err: unknown) => {
  main.replaceChildren(el('p', { class: 'error', role: 'alert' }, `The console could not start: ${message(err)}`))
})
