/**
 * "Start over": erases the notebook from this browser (its IndexedDB database and what the page
 * keeps in localStorage) after a second click to confirm, then reloads the page to create or join
 * a notebook afresh. Other devices, and the relay, keep their copies.
 */
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T

/** Wires the buttons; `release` closes whatever holds the database open (sync, stores) first. */
export function setUpStartOver(options: {
  readonly database: string
  readonly keyPrefix: string
  readonly release: () => Promise<void>
}): void {
  const confirm = $('start-over-confirm')
  $('start-over').addEventListener('click', () => {
    confirm.hidden = false
    $('start-over-cancel').focus()
  })
  $('start-over-cancel').addEventListener('click', () => {
    confirm.hidden = true
  })
  $('start-over-erase').addEventListener('click', () => {
    void (async () => {
      const error = $('error')
      try {
        await options.release()
        await deleteDatabase(options.database)
        for (const key of Object.keys(localStorage)) if (key.startsWith(options.keyPrefix)) localStorage.removeItem(key)
        location.reload()
      } catch (err) {
        error.textContent = `Could not erase the notebook: ${String(err instanceof Error ? err.message : err)}`
      }
    })()
  })
}

function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name)
    request.onsuccess = () => resolve()
    request.onerror = () => reject(request.error ?? new Error('IndexedDB refused'))
    request.onblocked = () => reject(new Error('the notebook is open in another tab: close it, then try again'))
  })
}
