import { ATTEST_PROTOCOL, MAX_ATTESTATION_BUNDLE_BYTES } from '../constants.ts'
import { oneFrameProtocol } from './one-frame.ts'

/**
 * /parley/attest/1.0.0: whoever opens a stream gets one frame with the node's attestation bundle,
 * or none (like OCSP stapling: a customer verifies a business without a DHT lookup).
 */
const attest = oneFrameProtocol({
  protocol: ATTEST_PROTOCOL,
  name: 'attest-reply',
  maxValueBytes: MAX_ATTESTATION_BUNDLE_BYTES
})

/** Serve /parley/attest/1.0.0 with the bundle `current()` returns. */
export const serveAttestation = attest.serve
/** Ask a peer for its attestation bundle: undefined if it has none; throws if it cannot be asked. */
export const fetchAttestation = attest.fetch
