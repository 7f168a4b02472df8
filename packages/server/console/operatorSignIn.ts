import { el } from './dom.ts'

/** The operator card: an admin API key, kept in this page's memory only. */
export function operatorCard(signedIn: (key: string) => void): HTMLElement {
  const key = el('input', { id: 'api-key', type: 'password', autocomplete: 'off', required: true, spellcheck: false })
  return el(
    'section',
    { class: 'card', 'aria-labelledby': 'operator-h' },
    el('h2', { id: 'operator-h' }, 'Operator'),
    el(
      'form',
      {
        'aria-label': 'Sign in with an API key',
        onsubmit: (e) => {
          e.preventDefault()
          signedIn(key.value.trim())
        },
      },
      el(
        'p',
        { class: 'hint' },
        'An admin API key (scope admin:tenants) shows the server’s tenants, their usage and live connections. It stays in this page.',
      ),
      el('label', {}, 'API key', key),
      el('button', { type: 'submit' }, 'Show tenants'),
    ),
  )
}
