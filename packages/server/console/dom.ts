/** Small DOM helpers: every text goes in as text, never as HTML. */

type Child = Node | string | number | null | undefined | false
type Attrs = Record<string, string | number | boolean | undefined | ((e: Event) => void)>

/** An element with attributes (`on…` functions become listeners) and children (strings become text). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue
    if (typeof v === 'function') e.addEventListener(k.slice(2), v)
    else if (v === true) e.setAttribute(k, '')
    else e.setAttribute(k, String(v))
  }
  for (const c of children)
    if (c !== null && c !== undefined && c !== false) e.append(typeof c === 'number' ? String(c) : c)
  return e
}

/** A table with a caption, header cells and rows (an empty table says so in one row). */
export function table(
  caption: string,
  head: readonly string[],
  rows: readonly HTMLTableRowElement[],
  testId?: string,
): HTMLElement {
  const body = rows.length ? rows : [el('tr', {}, el('td', { colspan: head.length }, 'None.'))]
  return el(
    'div',
    { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': caption },
    el(
      'table',
      testId ? { 'data-testid': testId } : {},
      el('caption', {}, caption),
      el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, ...body),
    ),
  )
}

/** A row of cells; numbers are right-aligned. */
export function row(cells: readonly Child[], attrs: Attrs = {}): HTMLTableRowElement {
  return el('tr', attrs, ...cells.map((c) => el('td', typeof c === 'number' ? { class: 'num' } : {}, c)))
}

export function badge(text: string, tone: 'ok' | 'bad' | 'warn'): HTMLElement {
  return el('span', { class: `badge ${tone}` }, text)
}

/** A time as the reader's locale shows it, or a dash. */
export function when(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '—' : new Date(ms).toLocaleString()
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  return `${(n / 1024 / 1024).toFixed(1)} MiB`
}

/** A used/limit pair, e.g. `12 / 100` or `12 / no limit`. */
export function use(used: number, limit: number | null, format: (n: number) => string = String): string {
  return `${format(used)} / ${limit === null ? 'no limit' : format(limit)}`
}

/** The error's message, for a person. */
export function message(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  const text = err instanceof Error ? err.message : String(err)
  return typeof code === 'string' ? `${code}: ${text}` : text
}
