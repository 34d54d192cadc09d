import { readFileSync } from 'node:fs'
import { SimulationLimitError } from '../errors.ts'
import type { Scenario } from './scenario.ts'

/**
 * File descriptors one simulated node on TCP may hold: its listener, its connections (the trim's
 * high watermark is 24) and room for dials in flight and for seeds, which hold more.
 */
export const FILES_PER_TCP_NODE = 32

/** This process's soft limit on open files (children inherit it), or undefined where unknown. */
export function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'))
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0]
    if (soft === undefined || soft === 'unlimited') return undefined
    const n = Number(soft)
    return Number.isSafeInteger(n) && n > 0 ? n : undefined
  } catch {
    return undefined
  }
}

/**
 * Refuse, before any node starts, a TCP run whose processes would each need more sockets than
 * the open-file limit allows (`limit` null: unknown, let it run): a 5,000-node run on 2 workers
 * died with EMFILE after 38 minutes. With workers, the seed nodes run in a process of their own
 * (workerOf), so the workers share the other nodes.
 */
export function checkOpenFiles(
  scenario: Pick<Scenario, 'nodes' | 'workers' | 'transport' | 'seedNodes'>,
  limit: number | null = openFileLimit() ?? null
): void {
  if (scenario.transport !== 'tcp' || limit === null) return
  const processes = Math.max(1, scenario.workers)
  const shared = scenario.workers > 0 ? scenario.nodes - Math.min(scenario.seedNodes, scenario.nodes) : scenario.nodes
  const perProcess = Math.ceil(shared / processes)
  if (perProcess * FILES_PER_TCP_NODE <= limit) return
  const needed = Math.ceil((shared * FILES_PER_TCP_NODE) / limit)
  throw new SimulationLimitError(
    `${perProcess} TCP nodes in one process need about ${perProcess * FILES_PER_TCP_NODE} open files, ` +
      `and this process may open ${limit} (ulimit -n): use --workers ${needed} or more, or raise the limit`
  )
}
