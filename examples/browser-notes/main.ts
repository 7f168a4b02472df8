/**
 * An offline notebook: every note is a Weft document, encrypted and signed, kept in IndexedDB.
 * The first visit creates the tenant under the password typed; later visits (a reload, a new tab,
 * no network) open it again with the same password. Nothing leaves the browser until you add a
 * second device: then both sync, end-to-end encrypted, through a relay (devices.ts, join.ts).
 */
import { ErrorCodes, isWeftError, TenantFactory, type Database, type DocId, type Tenant } from '@weft/core'
import { IdbStoreFactory } from '@weft/store-idb'
import { showDevices } from './devices.ts'
import { setUpJoin } from './join.ts'

interface Note {
  text: string
  createdAt: number
}

const DATABASE = 'weft-browser-notes'
/**
 * The notebook's tenant id, kept in this browser: random, so notebooks of different people never
 * share an id on a relay (`my-notebook` for a notebook made before ids were random).
 */
const TENANT_KEY = `${DATABASE}:tenant`
const tenantId = (): string => localStorage.getItem(TENANT_KEY) ?? 'my-notebook'
/** Marks that this browser holds the tenant, so the page can say "open" rather than "create". */
const CREATED = `${DATABASE}:created`

const storage = new IdbStoreFactory({ name: DATABASE })
const factory = new TenantFactory({ storeFactory: storage })
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T

const status = $('status')
const error = $('error')
const unlock = $<HTMLFormElement>('unlock')
const password = $<HTMLInputElement>('password')
const notebook = $('notebook')
const add = $<HTMLFormElement>('add')
const newNote = $<HTMLInputElement>('new-note')
const list = $<HTMLUListElement>('notes')

let db: Database | undefined

function showLocked(): void {
  status.dataset.state = 'locked'
  const created = localStorage.getItem(CREATED) === 'yes'
  status.textContent = created
    ? 'Your notebook is stored in this browser. Enter its password.'
    : 'Choose a password for a new notebook.'
  $('unlock-button').textContent = created ? 'Open notebook' : 'Create notebook'
  unlock.hidden = false
  $('join').hidden = created
  password.focus()
}

unlock.addEventListener('submit', (event) => {
  event.preventDefault()
  void open(password.value)
})

async function open(secret: string): Promise<void> {
  error.textContent = ''
  status.textContent = 'Opening…'
  unlock.hidden = true
  $('join').hidden = true
  try {
    const tenant = await factory.openTenant(tenantId(), { password: secret }).catch((err: unknown) => {
      if (!isWeftError(err, ErrorCodes.TENANT_NOT_FOUND)) throw err
      // getRandomValues, unlike randomUUID, works on plain http too (a page served on a LAN address).
      const id = `notebook-${[...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('')}`
      localStorage.setItem(TENANT_KEY, id)
      return factory.createTenant({ tenantId: id, password: secret })
    })
    password.value = ''
    await showNotebook(tenant)
  } catch (err) {
    error.textContent = isWeftError(err, ErrorCodes.WRONG_PASSWORD)
      ? 'Wrong password.'
      : `Could not open the notebook: ${String(err)}`
    showLocked()
  }
}

async function showNotebook(tenant: Tenant): Promise<void> {
  localStorage.setItem(CREATED, 'yes')
  localStorage.setItem(TENANT_KEY, tenant.id) // a joined device keeps the id the join string named
  db = await tenant.openDB('notes')
  // Notes written in another tab, or on another device, arrive through the store; show them too.
  db.on('docs-changed', () => void render())
  notebook.hidden = false
  await render()
  showSaved()
  newNote.focus()
  await showDevices(tenant, db, storage)
}

setUpJoin(factory, async (tenant) => {
  unlock.hidden = true
  await showNotebook(tenant)
})

add.addEventListener('submit', (event) => {
  event.preventDefault()
  const text = newNote.value.trim()
  if (!db || !text) return
  newNote.value = ''
  void guard(async () => {
    await db!.createDocument<Note>({ data: { text, createdAt: Date.now() } })
    await render()
  })
})

async function render(): Promise<void> {
  if (!db) return
  const notes: { id: DocId; note: Note }[] = []
  for (const id of await db.getAllDocumentIds()) {
    const doc = await db.getDocument<Note>(id)
    if (doc) notes.push({ id, note: doc.toJSON() })
  }
  notes.sort((a, b) => a.note.createdAt - b.note.createdAt || a.id.localeCompare(b.id))
  list.replaceChildren(...notes.map(({ id, note }) => noteItem(id, note)))
}

function noteItem(id: DocId, note: Note): HTMLLIElement {
  const item = document.createElement('li')
  item.dataset.id = id
  const text = document.createElement('input')
  text.type = 'text'
  text.className = 'note'
  text.value = note.text
  text.setAttribute('aria-label', 'Note')
  text.addEventListener('change', () => {
    void guard(() =>
      db!.changeDoc<Note>(id, (d) => {
        d.getData().text = text.value
      }),
    )
  })
  const remove = document.createElement('button')
  remove.type = 'button'
  remove.textContent = 'Delete'
  remove.addEventListener('click', () => {
    void guard(async () => {
      await db!.deleteDocument(id)
      await render()
    })
  })
  item.append(text, remove)
  return item
}

let pending = 0

/** Runs one edit, showing "Saving…" until every edit in flight is stored, and any error. */
async function guard(work: () => Promise<unknown>): Promise<void> {
  pending++
  status.textContent = 'Saving…'
  status.dataset.state = 'saving'
  try {
    error.textContent = ''
    await work()
  } catch (err) {
    error.textContent = isWeftError(err, ErrorCodes.QUOTA_EXCEEDED)
      ? 'This browser has no room left for the notebook; nothing of the last edit was saved.'
      : `Could not save: ${String(err)}`
  } finally {
    if (--pending === 0) showSaved()
  }
}

function showSaved(): void {
  status.textContent = 'All changes saved in this browser (IndexedDB); works offline.'
  status.dataset.state = 'saved'
}

showLocked()
