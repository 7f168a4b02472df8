/**
 * "Who is here": the notebook's other devices that have it open now, and the note each is
 * editing, from the notes database's presence. Each device announces `{ editing }` (a note id or
 * null), signed by the device and encrypted under the notebook's key; the relay passes it on and
 * keeps nothing. A page that closes says it left (devices.ts); one that loses its network is gone
 * within 30 seconds.
 */
import type { Database, DocId, Presence } from '@weft/core'

/** What this page announces. */
export interface Here {
  readonly editing: DocId | null
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T

/** The notes database's presence, typed for this page. */
export function presenceOf(notes: Database): Presence<Here> {
  return notes.presence as Presence<Here>
}

/** Announces that this device has the notebook open, editing `editing` (or no note). */
export function announce(notes: Database, editing: DocId | null): void {
  presenceOf(notes).set({ editing })
}

/**
 * Follows who is here and shows it in `#here-list` (one item per device, `data-device-id`), and
 * marks the notes others are editing (`data-editing-by` on their list item). `label` names a
 * device; `online` says whether the relay link is up (offline, nobody else can be seen).
 */
export function followHere(
  notes: Database,
  label: (deviceId: string) => string,
  online: () => boolean,
): { render(): void; present(deviceId: string): boolean } {
  const presence = presenceOf(notes)
  const render = () => {
    const peers = online() ? presence.peers() : []
    const here = $('here')
    here.dataset.count = String(peers.length)
    $('here-summary').textContent = !online()
      ? 'Offline: you cannot see who else is here.'
      : peers.length === 0
        ? 'Nobody else has the notebook open.'
        : `${peers.length} other ${peers.length === 1 ? 'device has' : 'devices have'} the notebook open:`
    $('here-list').replaceChildren(
      ...peers.map((p) => {
        const item = document.createElement('li')
        item.dataset.deviceId = p.device
        const editing = p.state?.editing ? noteText(p.state.editing) : undefined
        item.textContent = `${label(p.device)}${editing !== undefined ? ` — editing “${editing}”` : ''}`
        return item
      }),
    )
    for (const li of Array.from(document.querySelectorAll<HTMLLIElement>('#notes li'))) {
      const by = peers.filter((p) => p.state?.editing === li.dataset.id).map((p) => label(p.device))
      if (by.length) li.dataset.editingBy = by.join(', ')
      else delete li.dataset.editingBy
    }
  }
  presence.subscribe(render)
  return { render, present: (id) => online() && presence.peers().some((p) => p.device === id) }
}

function noteText(id: string): string {
  const input = document.querySelector<HTMLInputElement>(`#notes li[data-id="${CSS.escape(id)}"] input.note`)
  return input ? input.value.slice(0, 40) : 'a note'
}
