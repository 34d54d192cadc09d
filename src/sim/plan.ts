import { derive } from './rng.ts'
import type { Scenario } from './scenario.ts'
import type { LinkConditions } from './simnet.ts'

/** A message of the workload: decided by the seed alone. */
export interface PlannedMessage {
  seq: number
  from: number
  to: number
  /** ms after the workload starts. */
  at: number
}

/** A DHT lookup to measure: `from` resolves `target`'s profile, past its cache. */
export interface PlannedLookup {
  at: number
  from: number
  target: number
}

export type FaultEvent =
  | { at: number; kind: 'down' | 'up'; node: number }
  | { at: number; kind: 'partition'; groups: number[] }
  | { at: number; kind: 'heal' }
  | { at: number; kind: 'link'; conditions: LinkConditions }

/** Everything the seed decides about a run, before any node starts. */
export interface Plan {
  nodes: number
  seeds: number[]
  misbehaving: number[]
  business?: { node: number; name: string; customers: number[] }
  messages: PlannedMessage[]
  lookups: PlannedLookup[]
  /** Sorted by time. */
  faults: FaultEvent[]
  /** When the workload's last send and the last fault are behind us (ms). */
  end: number
}

const textCache = new Map<number, string>()
/** The text of message `seq`: its sequence number padded to the workload's size. */
export function messageText(seq: number, bytes: number): string {
  let pad = textCache.get(bytes)
  if (pad === undefined) {
    pad = 'x'.repeat(bytes)
    textCache.set(bytes, pad)
  }
  const head = `#${seq} `
  return (head + pad).slice(0, Math.max(bytes, head.length))
}

/** Turn a scenario into its plan: identities aside, every random choice of the run is made here. */
export function makePlan(s: Scenario): Plan {
  const n = s.nodes
  const seeds = Array.from({ length: Math.min(s.seedNodes, n) }, (_, i) => i)
  const durationMs = s.workload.duration * 1000
  const others = Array.from({ length: n - seeds.length }, (_, i) => i + seeds.length)

  // the workload: Poisson arrivals over the duration, uniformly random distinct pairs
  const w = derive(s.seed, 'workload')
  const messages: PlannedMessage[] = []
  const rate = s.workload.messages / Math.max(durationMs, 1)
  let t = 0
  for (let seq = 0; seq < s.workload.messages; seq++) {
    t += durationMs === 0 ? 0 : w.exponential(1 / rate)
    const from = w.int(n)
    let to = w.int(n - 1)
    if (to >= from) to++
    messages.push({ seq, from, to, at: Math.min(t, durationMs) })
  }

  const l = derive(s.seed, 'lookups')
  const lookups: PlannedLookup[] = []
  for (let i = 0; i < s.workload.lookups; i++) {
    const from = l.int(n)
    let target = l.int(n - 1)
    if (target >= from) target++
    lookups.push({ at: l.next() * durationMs, from, target })
  }
  lookups.sort((a, b) => a.at - b.at)

  const f = derive(s.seed, 'faults')
  const faults: FaultEvent[] = []
  const misbehaving = new Set<number>()
  let end = durationMs
  for (const fault of s.faults) {
    switch (fault.type) {
      case 'churn': {
        const k = Math.round(fault.fraction * others.length)
        for (const i of f.sample(others.length, k)) {
          const node = others[i]!
          const at = (fault.window[0] + f.next() * (fault.window[1] - fault.window[0])) * 1000
          const down = (fault.down[0] + f.next() * (fault.down[1] - fault.down[0])) * 1000
          faults.push({ at, kind: 'down', node }, { at: at + down, kind: 'up', node })
          end = Math.max(end, at + down)
        }
        break
      }
      case 'partition': {
        const order = f.shuffle(Array.from({ length: n }, (_, i) => i))
        const groups = new Array<number>(n)
        order.forEach((node, i) => {
          groups[node] = i % fault.groups
        })
        faults.push(
          { at: fault.at * 1000, kind: 'partition', groups },
          { at: (fault.at + fault.duration) * 1000, kind: 'heal' }
        )
        end = Math.max(end, (fault.at + fault.duration) * 1000)
        break
      }
      case 'link':
        faults.push(
          {
            at: fault.at * 1000,
            kind: 'link',
            conditions: { latencyMs: fault.latencyMs, jitterMs: s.link.jitterMs, loss: fault.loss }
          },
          { at: (fault.at + fault.duration) * 1000, kind: 'link', conditions: { ...s.link } }
        )
        end = Math.max(end, (fault.at + fault.duration) * 1000)
        break
      case 'misbehave': {
        const k = Math.round(fault.fraction * others.length)
        for (const i of f.sample(others.length, k)) misbehaving.add(others[i]!)
        break
      }
    }
  }
  faults.sort((a, b) => a.at - b.at)

  let business: Plan['business']
  if (s.business !== undefined) {
    const b = derive(s.seed, 'business')
    const candidates = others.filter((i) => !misbehaving.has(i))
    const node = candidates[0] ?? seeds[0]!
    const pool = Array.from({ length: n }, (_, i) => i).filter((i) => i !== node)
    const customers = b
      .sample(pool.length, Math.max(1, Math.round(s.business.customers * pool.length)))
      .map((i) => pool[i]!)
    business = { node, name: s.business.name, customers }
  }

  return {
    nodes: n,
    seeds,
    misbehaving: [...misbehaving].sort((a, b) => a - b),
    ...(business !== undefined ? { business } : {}),
    messages,
    lookups,
    faults,
    end
  }
}
