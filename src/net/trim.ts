import { type Connection, KEEP_ALIVE, type Libp2p, type Tag } from '@libp2p/interface'

/**
 * Close idle connections above a high watermark, down to a low one: go-libp2p's connection
 * manager in small. libp2p's own `maxConnections` refuses inbound connections at the limit, which
 * turns peers away; this closes only connections nobody uses, and a peer that needs one dials again.
 */
export interface ConnectionTrimInit {
  /** Trim when a node holds more connections than this. */
  high: number
  /** ...down to this many. */
  low: number
  /** Never close a connection younger than this. @default 30_000 */
  graceMs?: number
  /** How often to look; a connection must have had no open stream at two looks in a row. @default 10_000 */
  intervalMs?: number
}

/**
 * Start trimming `node`'s idle connections; the returned function stops it. Only connections this
 * node dialled are closed, and never one to a peer tagged keep-alive: libp2p's reconnect queue
 * dials such a peer again at once (kad-dht tags its 20 closest peers so), and the dialler is the
 * end that knows its own tags. An inbound connection is its dialler's to trim. Among the rest,
 * connections to peers with the lowest tag values go first (libp2p's own pruner order), then the
 * oldest.
 */
export function startConnectionTrim(
  node: Pick<Libp2p, 'getConnections' | 'peerStore'>,
  init: ConnectionTrimInit
): () => void {
  const graceMs = init.graceMs ?? 30_000
  const low = Math.min(init.low, init.high)
  let idleAtLastLook = new Set<string>()
  let looking = false
  const look = async (): Promise<void> => {
    const connections = node.getConnections()
    if (connections.length <= init.high) {
      // nothing to trim: skip the scan (a node at 5,000 looks every 10 s); the first look above
      // the watermark only notes which connections are idle, as the rule needs two looks
      if (idleAtLastLook.size > 0) idleAtLastLook = new Set()
      return
    }
    const idle = connections.filter((c) => c.status === 'open' && c.direction === 'outbound' && c.streams.length === 0)
    const idleBefore = idleAtLastLook
    idleAtLastLook = new Set(idle.map((c) => c.id))
    const now = Date.now()
    const candidates = idle.filter((c) => idleBefore.has(c.id) && now - c.timeline.open >= graceMs)
    const ranked: Array<{ c: Connection; value: number }> = []
    for (const c of candidates) {
      const tags = await tagsOf(node, c)
      if ([...tags.keys()].some((name) => name.startsWith(KEEP_ALIVE))) continue
      ranked.push({ c, value: [...tags.values()].reduce((sum, t) => sum + t.value, 0) })
    }
    ranked.sort((a, b) => a.value - b.value || a.c.timeline.open - b.c.timeline.open)
    for (const { c } of ranked.slice(0, connections.length - low)) close(c)
  }
  const timer = setInterval(() => {
    if (looking) return
    looking = true
    look()
      .catch(() => {})
      .finally(() => {
        looking = false
      })
  }, init.intervalMs ?? 10_000)
  timer.unref()
  return () => clearInterval(timer)
}

/** The peer-store tags of a connection's remote peer (none if the store does not know it). */
async function tagsOf(node: Pick<Libp2p, 'peerStore'>, c: Connection): Promise<Map<string, Tag>> {
  try {
    return (await node.peerStore.get(c.remotePeer)).tags
  } catch {
    return new Map()
  }
}

function close(c: Connection): void {
  c.close({ signal: AbortSignal.timeout(5_000) }).catch((err: Error) => c.abort(err))
}
