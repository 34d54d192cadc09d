import type { PeerId } from '@libp2p/interface'
import { peerIdFromMultihash } from '@libp2p/peer-id'
import * as Digest from 'multiformats/hashes/digest'

/** Whether `bytes` spans the whole of its ArrayBuffer (so keeping it keeps nothing else alive). */
function ownsBuffer(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
}

/**
 * `bytes`, in an ArrayBuffer of its own. What a node keeps for long often arrives as a slice: a
 * protobuf in one of Node's Buffer-pool slabs (64 KiB on Node 24), a field of the network frame it
 * came in.
 * Kept as it is, a slice keeps the whole buffer alive. A copy, and not `slice()`, which on a Node
 * Buffer is another view of the same memory.
 */
export function ownBuffer(bytes: Uint8Array): Uint8Array {
  return ownsBuffer(bytes) ? bytes : new Uint8Array(bytes)
}

/**
 * The same PeerId, over bytes of its own. A PeerId decoded from a DHT reply or a Noise handshake
 * is a view into that message's buffer; kad-dht keeps every routing-table contact's PeerId for as
 * long as the contact stays, and 7,405 contacts in 100 simulated nodes held 44.6 MB of buffers
 * that way (scripts/bench-sim-scale.ts).
 */
export function ownPeerId(peerId: PeerId): PeerId {
  const multihash = peerId.toMultihash()
  // the digest and the public key may be views of other buffers than the multihash's bytes:
  // each must be the bytes' own buffer or one of its own
  const ownBytes = ownsBuffer(multihash.bytes)
  const small = (b: Uint8Array): boolean => b.buffer === multihash.bytes.buffer || ownsBuffer(b)
  const own = ownBytes && small(multihash.digest) && (peerId.publicKey === undefined || small(peerId.publicKey.raw))
  if (own) return peerId
  return peerIdFromMultihash(Digest.decode(new Uint8Array(multihash.bytes)))
}
