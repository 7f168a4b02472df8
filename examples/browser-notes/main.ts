/**
 * An offline notebook: every note is a Weft document, encrypted and signed, kept in IndexedDB.
 * The first visit creates the tenant under the password typed (twice); later visits (a reload, a
 * new tab, no network) open it again with the same password. Notes are saved as you type. When the
 * page has a relay, the notebook syncs with it whenever online, end-to-end encrypted, even on its
 * only device (so a device added later finds every note); add a second device and both sync
 * through it (devices.ts, join.ts), and each sees who else has the notebook open (here.ts). "Start
 * over" erases the notebook from this browser (startOver.ts).
 */
import { ErrorCodes, isWeftError, TenantFactory, type Database, type DocId, type Tenant } from '@weft/core'
import { IdbStoreFactory } from '@weft/store-idb'
import { showDevices } from './devices.ts'
import { announce } from './here.ts'
import { setUpJoin } from './join.ts'
import { setUpStartOver } from './startOver.ts'

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
const confirmPassword = $<HTMLInputElement>('password-confirm')
const notebook = $('notebook')
const add = $<HTMLFormElement>('add')
const newNote = $<HTMLInputElement>('new-note')
const list = $<HTMLUListElement>('notes')

let db: Database | undefined
let tenant: Tenant | undefined
/** Stops the notebook's sync (set once the Devices panel is up). */
let stopSync: (() => Promise<void>) | undefined
/** Saving as you type: the notes with a write waiting for a pause in typing, or in flight. */
const typing = new Map<DocId, ReturnType<typeof setTimeout>>()
const writing = new Set<DocId>()
const TYPING_PAUSE_MS = 300

function showLocked(): void {
  status.dataset.state = 'locked'
  const created = localStorage.getItem(CREATED) === 'yes'
  status.textContent = created
    ? 'Your notebook is stored in this browser. Enter its password.'
    : 'Choose a password for a new notebook.'
  $('unlock-button').textContent = created ? 'Open notebook' : 'Create notebook'
  // A new notebook's password is typed twice: a typo would lock the notes away for good.
  confirmPassword.hidden = created
  confirmPassword.required = !created
  confirmPassword.value = ''
  password.autocomplete = created ? 'current-password' : 'new-password'
  unlock.hidden = false
  $('join').hidden = created
  $('start-over-area').hidden = !created
  password.focus()
}

unlock.addEventListener('submit', (event) => {
  event.preventDefault()
  if (!confirmPassword.hidden && password.value !== confirmPassword.value) {
    error.textContent = 'The passwords do not match.'
    confirmPassword.value = ''
    confirmPassword.focus()
    return
  }
  void open(password.value)
})

setUpStartOver({
  database: DATABASE,
  keyPrefix: DATABASE,
  release: async () => {
    await stopSync?.()
    await tenant?.close()
    await storage.close()
  },
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
    confirmPassword.value = ''
    await showNotebook(tenant)
  } catch (err) {
    error.textContent = isWeftError(err, ErrorCodes.WRONG_PASSWORD)
      ? 'Wrong password.'
      : `Could not open the notebook: ${String(err)}`
    showLocked()
  }
}

async function showNotebook(opened: Tenant): Promise<void> {
  tenant = opened
  localStorage.setItem(CREATED, 'yes')
  localStorage.setItem(TENANT_KEY, opened.id) // a joined device keeps the id the join string named
  db = await opened.openDB('notes')
  // Notes written in another tab, or on another device, arrive through the store; show them too.
  db.on('docs-changed', () => void render())
  notebook.hidden = false
  $('start-over-area').hidden = false
  await render()
  showSaved()
  newNote.focus()
  stopSync = await showDevices(opened, db, storage)
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

/**
 * Shows the notes in creation order, updating the list in place: a note being typed in keeps its
 * focus and its text (a change from elsewhere shows once the typing is saved).
 */
async function render(): Promise<void> {
  if (!db) return
  const notes: { id: DocId; note: Note }[] = []
  for (const id of await db.getAllDocumentIds()) {
    const doc = await db.getDocument<Note>(id)
    if (doc) notes.push({ id, note: doc.toJSON() })
  }
  notes.sort((a, b) => a.note.createdAt - b.note.createdAt || a.id.localeCompare(b.id))
  const shown = new Map(Array.from(list.children).map((li) => [(li as HTMLLIElement).dataset.id as DocId, li]))
  const keep = new Set(notes.map((n) => n.id))
  for (const [id, li] of shown) if (!keep.has(id)) li.remove()
  notes.forEach(({ id, note }, i) => {
    let item = shown.get(id) as HTMLLIElement | undefined
    if (!item) item = noteItem(id, note)
    else {
      const input = item.querySelector<HTMLInputElement>('input.note')!
      const busy = document.activeElement === input || typing.has(id) || writing.has(id)
      if (!busy && input.value !== note.text) input.value = note.text
    }
    if (list.children[i] !== item) list.insertBefore(item, list.children[i] ?? null)
  })
}

/** Saves what was typed in a note once typing pauses (or at once, on `now`). */
function save(id: DocId, text: HTMLInputElement, now = false): void {
  clearTimeout(typing.get(id))
  if (now && !typing.has(id)) return
  const write = () => {
    typing.delete(id)
    writing.add(id)
    void guard(() =>
      db!.changeDoc<Note>(id, (d) => {
        d.getData().text = text.value
      }),
    ).finally(() => writing.delete(id))
  }
  if (now) return write()
  showSaving()
  typing.set(id, setTimeout(write, TYPING_PAUSE_MS))
}

function noteItem(id: DocId, note: Note): HTMLLIElement {
  const item = document.createElement('li')
  item.dataset.id = id
  const text = document.createElement('input')
  text.type = 'text'
  text.className = 'note'
  text.value = note.text
  text.setAttribute('aria-label', 'Note')
  text.addEventListener('input', () => save(id, text))
  text.addEventListener('change', () => save(id, text, true))
  // Who is here sees which note this device is in.
  text.addEventListener('focus', () => announce(db!, id))
  text.addEventListener('blur', () => {
    announce(db!, null)
    void render()
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
  showSaving()
  try {
    error.textContent = ''
    await work()
  } catch (err) {
    error.textContent = isWeftError(err, ErrorCodes.QUOTA_EXCEEDED)
      ? 'This browser has no room left for the notebook; nothing of the last edit was saved.'
      : `Could not save: ${String(err)}`
  } finally {
    if (--pending === 0 && typing.size === 0) showSaved()
  }
}

function showSaving(): void {
  status.textContent = 'Saving…'
  status.dataset.state = 'saving'
}

function showSaved(): void {
  status.textContent = 'All changes saved in this browser (IndexedDB); works offline.'
  status.dataset.state = 'saved'
}

showLocked()
