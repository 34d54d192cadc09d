import type { Connection, Libp2p } from '@libp2p/interface'

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

/** Start trimming `node`'s idle connections; the returned function stops it. */
export function startConnectionTrim(node: Pick<Libp2p, 'getConnections'>, init: ConnectionTrimInit): () => void {
  const graceMs = init.graceMs ?? 30_000
  const low = Math.min(init.low, init.high)
  let idleAtLastLook = new Set<string>()
  const look = (): void => {
    const connections = node.getConnections()
    const idle = connections.filter((c) => c.status === 'open' && c.streams.length === 0)
    const idleBefore = idleAtLastLook
    idleAtLastLook = new Set(idle.map((c) => c.id))
    if (connections.length <= init.high) return
    const now = Date.now()
    const closable = idle
      .filter((c) => idleBefore.has(c.id) && now - c.timeline.open >= graceMs)
      .sort((a, b) => a.timeline.open - b.timeline.open)
    for (const c of closable.slice(0, connections.length - low)) close(c)
  }
  const timer = setInterval(look, init.intervalMs ?? 10_000)
  timer.unref()
  return () => clearInterval(timer)
}

function close(c: Connection): void {
  c.close({ signal: AbortSignal.timeout(5_000) }).catch((err: Error) => c.abort(err))
}
