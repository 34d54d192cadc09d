import type { PeerId, Stream } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { MSG_PROTOCOL } from '../constants.ts'
import type { AskPeer, Directory, VerifiedProfile } from '../directory/index.ts'
import { errorMessage, PeerUnreachableError } from '../errors.ts'
import { fetchProfile, type ParleyLibp2p } from '../net/index.ts'

const log = logger('parley:messenger:dialer')

export interface DialerInit {
  node: ParleyLibp2p
  directory: Directory
}

/** Put a profile's addresses in the peer store, where libp2p's dialer looks. */
async function rememberAddresses(node: ParleyLibp2p, profile: VerifiedProfile): Promise<void> {
  const multiaddrs = []
  for (const a of profile.addresses) {
    try {
      multiaddrs.push(multiaddr(a))
    } catch {
      // a bad address in a signed record is the owner's problem; skip it
    }
  }
  if (multiaddrs.length > 0) await node.peerStore.merge(peerIdFromString(profile.peerId), { multiaddrs })
}

/**
 * Start connecting to a peer at the addresses of a profile (the first record of a lookup still
 * settling), so the dial runs while the lookup waits for fresher records. Errors are dropped: the
 * outbox dials again with the settled profile.
 */
export function connectAhead(node: ParleyLibp2p, profile: VerifiedProfile, signal: AbortSignal): void {
  const id = peerIdFromString(profile.peerId)
  if (node.getConnections(id).length > 0) return
  rememberAddresses(node, profile)
    .then(() => node.dial(id, { signal }))
    .catch((err: Error) => log('connecting ahead to %s failed: %s', profile.peerId, err.message))
}

/**
 * How a resolve asks a recipient for its own profile (the directory's askPeer): over the open
 * connection if there is one; else at once at the addresses the peer store holds for it (a DHT
 * reply named it), when `early` and it holds some; else at the addresses of the lookup's first record.
 */
export async function askPeerFor(node: ParleyLibp2p, peerId: string, early = true): Promise<AskPeer> {
  const id = peerIdFromString(peerId)
  const now = node.getConnections(id).length > 0
  return {
    now,
    known: !now && early && (await hasAddresses(node, id)),
    async ask(first, signal) {
      if (first !== undefined) await rememberAddresses(node, first)
      return fetchProfile(node, peerId, signal)
    }
  }
}

/** Whether the peer store holds any address for a peer. */
async function hasAddresses(node: ParleyLibp2p, id: PeerId): Promise<boolean> {
  try {
    return (await node.peerStore.get(id)).addresses.length > 0
  } catch {
    return false // not in the peer store
  }
}

/**
 * Open a message stream to a peer: over an existing connection if there is one; else at the
 * addresses in its profile (cached); if that fails, look the profile up again past the cache
 * (a peer that restarted on new addresses) and let libp2p fall back to DHT peer routing.
 */
export function createDialer(init: DialerInit): (peerId: string, signal: AbortSignal) => Promise<Stream> {
  const { node, directory } = init

  const learn = async (peerId: string, fresh: boolean, signal: AbortSignal): Promise<void> => {
    const profile = await directory.resolve(peerId, { fresh, signal })
    if (profile !== undefined) await rememberAddresses(node, profile)
  }

  return async (peerId, signal) => {
    const id = peerIdFromString(peerId)
    if (node.getConnections(id).length > 0) {
      try {
        return await node.dialProtocol(id, MSG_PROTOCOL, { signal })
      } catch {
        // the connection may be closing; fall through to a fresh dial
      }
    }
    try {
      await learn(peerId, false, signal)
      return await node.dialProtocol(id, MSG_PROTOCOL, { signal })
    } catch (first) {
      if (signal.aborted) throw new PeerUnreachableError(`could not reach ${peerId}: ${errorMessage(first)}`)
      directory.invalidate(peerId)
      try {
        await learn(peerId, true, signal)
        return await node.dialProtocol(id, MSG_PROTOCOL, { signal })
      } catch (err) {
        throw new PeerUnreachableError(`could not reach ${peerId}: ${errorMessage(err)}`)
      }
    }
  }
}
