/** The Web Worker of the verifier pool page: answers the pool's signature batches. */
import { serveSignatureChecks } from '@weft/core'

serveSignatureChecks()
