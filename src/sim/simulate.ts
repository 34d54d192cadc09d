import type { MessengerInit } from '../messenger/index.ts'
import { USER_LIMITS } from '../net/index.ts'
import { type RunInit, type RunResult, runInProcess } from './runner.ts'

/**
 * What a simulated node changes from a production node, and why it does not change what is
 * measured (the README repeats this):
 * - `lean`: no connection-monitor pings and a no-op logger — thousands of nodes' pings and debug
 *   checks only burn the one CPU the whole network shares; delivery and lookups are untouched.
 * - inbound connection rate limits off: every simulated node dials from "one host", which a real
 *   network's per-IP limit would throttle as if it were an attack.
 * - outbox retry cap 5 s instead of 5 minutes, so a run of minutes shows recovery after a
 *   partition heals; the code path (backoff with jitter, flush on connect) is the same.
 * - stores in memory with synchronous=NORMAL: the commit is the same SQL; fsync is the disk's
 *   cost, not the network's.
 */
export function baseNodeOptions(): Partial<MessengerInit> {
  return {
    lean: true,
    limits: {
      ...USER_LIMITS,
      inboundConnectionThreshold: 1e9,
      maxIncomingPendingConnections: 1_000,
      maxConnections: 200
    },
    backoff: { baseMs: 500, capMs: 5_000 },
    statusRefreshMs: 60 * 60_000
  }
}

/** Run a scenario: in this process, or spread over worker processes when it asks for workers. */
export async function runSimulation(
  init: Omit<RunInit, 'nodeOptions'> & { nodeOptions?: RunInit['nodeOptions'] }
): Promise<RunResult> {
  const nodeOptions = init.nodeOptions ?? baseNodeOptions()
  if (init.scenario.workers > 0) {
    const { runWithWorkers } = await import('./coordinator.ts')
    return runWithWorkers({ ...init, nodeOptions })
  }
  return runInProcess({ ...init, nodeOptions })
}
