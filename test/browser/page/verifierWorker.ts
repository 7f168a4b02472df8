/** The Web Worker of the verifier pool page: answers the pool's signature batches. */
import { serveSignatureChecks, type SignatureCheckScope } from '@weft/core'

serveSignatureChecks(self as unknown as SignatureCheckScope)
