import { KeyBag, Presence } from '@weft/core'
import { generateSigningKeyPair, signDetached, toBase64Url, verifyDetached } from '@weft/core/backend'
import { type Figure } from './report.ts'

const MESSAGES = 5_000

/**
 * Presence messages a device takes a second (parse, freshness, signature, decryption, state
 * update), beside plain Ed25519 verifications of the same bytes in the same run: the signature
 * check is the floor, so the ratio says what the rest costs.
 */
export async function benchPresence(): Promise<Figure> {
  const keyBag = KeyBag.create()
  const senders = Array.from({ length: 50 }, () => generateSigningKeyPair())
  const receiver = generateSigningKeyPair()
  const admitted = new Set([receiver, ...senders].map((k) => toBase64Url(k.publicKey)))
  const make = (signer: typeof receiver) =>
    new Presence({
      tenantId: 'bench',
      scope: 'notes',
      signer,
      keyBag,
      keyId: () => 'default',
      admits: (k) => admitted.has(toBase64Url(k)),
    })
  const messages: Uint8Array[] = []
  for (const s of senders) {
    const p = make(s)
    p.connect((bytes) => messages.push(bytes))
    for (let i = 0; i < MESSAGES / senders.length; i++) p.set({ cursor: i, name: 'a device with a name' })
    p.close()
  }
  const into = make(receiver)
  let t0 = performance.now()
  let taken = 0
  for (const m of messages) if (into.receive(m).ok) taken++
  const presenceMs = performance.now() - t0
  if (taken < MESSAGES) throw new Error(`only ${taken} of ${MESSAGES} presence messages taken`)
  // A real signature (of the first message), so each check costs a full verification.
  const signature = signDetached('weft/v1/presence/signature', messages[0]!, receiver.privateKey)
  t0 = performance.now()
  for (const m of messages) verifyDetached('weft/v1/presence/signature', m, signature, receiver.publicKey)
  const verifyMs = performance.now() - t0
  into.close()
  const perSecond = (MESSAGES / presenceMs) * 1000
  const floor = (messages.length / verifyMs) * 1000
  const ratio = perSecond / floor
  return {
    name: 'presence messages taken a second vs Ed25519 verify',
    value: `${Math.round(perSecond).toLocaleString('en')}/s`,
    reference: `${Math.round(floor).toLocaleString('en')}/s verify`,
    ratio,
    target: '>= 0.60',
    met: ratio >= 0.6,
    notes: [`${MESSAGES} messages from ${senders.length} devices, ${messages[0]!.length} bytes each`],
  }
}
