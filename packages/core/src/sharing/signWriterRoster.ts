import { toBase64Url } from '../codec/index.ts'
import { Domain, signDetached, type SigningKeyPair } from '../crypto/index.ts'
import { rosterBytes } from './rosterBytes.ts'
import type { SignedWriterRoster, WriterRoster } from './WriterRoster.ts'

/** Signs a roster with the issuer's key (domain-separated from grants and entries). */
export function signWriterRoster(roster: WriterRoster, signer: SigningKeyPair): SignedWriterRoster {
  return {
    ...roster,
    signature: toBase64Url(signDetached(Domain.writerRoster, rosterBytes(roster), signer.privateKey)),
  }
}
