import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as vega from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'
import type { RunResult, Summary } from './runner.ts'

/** events.csv: one row per planned message; seq, from and to come from the seed alone. */
export function eventsCsv(result: RunResult): string {
  // queuedAtMs came later: it goes last, so the columns scripts already read keep their places
  const rows = ['seq,from,to,plannedAtMs,sentAtMs,deliveredAtMs,latencyMs,duplicates,status,queuedAtMs']
  const f = (v: number | null): string => (v === null ? '' : String(Math.round(v * 10) / 10))
  for (const m of result.messages) {
    rows.push(
      [
        m.seq,
        m.from,
        m.to,
        f(m.plannedAt),
        f(m.sentAt),
        f(m.deliveredAt),
        f(m.latencyMs),
        m.duplicates,
        m.status,
        f(m.queuedAt)
      ].join(',')
    )
  }
  return `${rows.join('\n')}\n`
}

export function lookupsCsv(result: RunResult): string {
  const rows = ['atMs,from,target,ms,ok,firstRecordMs,records']
  const tenth = (v: number | null): number | string => (v === null ? '' : Math.round(v * 10) / 10)
  for (const l of result.lookups)
    rows.push(
      [Math.round(l.at), l.from, l.target, tenth(l.ms), l.ok ? 1 : 0, tenth(l.firstRecordMs), l.records].join(',')
    )
  return `${rows.join('\n')}\n`
}

/** forming.csv: how many nodes had started and published as the network formed. */
export function formingCsv(result: RunResult): string {
  const rows = ['atMs,started,published']
  for (const f of result.forming) rows.push([Math.round(f.atMs), f.started, f.published].join(','))
  return `${rows.join('\n')}\n`
}

/** At most about `max` of `items`, evenly spaced, the last one kept. */
function thin<T>(items: T[], max: number): T[] {
  const step = Math.max(1, Math.ceil(items.length / max))
  const out = items.filter((_, i) => i % step === 0)
  if (items.length > 0 && out.at(-1) !== items.at(-1)) out.push(items.at(-1)!)
  return out
}

/** Points of an empirical CDF, thinned to at most `max` points. */
function cdf(values: number[], max = 400): Array<{ value: number; fraction: number }> {
  const sorted = [...values].sort((a, b) => a - b)
  const step = Math.max(1, Math.floor(sorted.length / max))
  const out: Array<{ value: number; fraction: number }> = []
  for (let i = 0; i < sorted.length; i += step) out.push({ value: sorted[i]!, fraction: (i + 1) / sorted.length })
  if (sorted.length > 0) out.push({ value: sorted[sorted.length - 1]!, fraction: 1 })
  return out
}

async function svg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' })
  try {
    return await view.toSVG()
  } finally {
    view.finalize()
  }
}

const base = { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', width: 560, height: 300 } as const

/** The plots: latency CDF, deliveries over time, DHT lookup times, the network's formation. */
export async function plots(result: RunResult): Promise<Record<string, string>> {
  const latencies = result.messages.filter((m) => m.latencyMs !== null).map((m) => m.latencyMs!)
  const lookupTimes = result.lookups.filter((l) => l.ok && l.ms !== null).map((l) => l.ms!)
  const sent = result.messages.filter((m) => m.sentAt !== null).map((m) => m.sentAt!)
  const delivered = result.messages.filter((m) => m.deliveredAt !== null).map((m) => m.deliveredAt!)
  const cumulative = (times: number[], series: string): Array<{ t: number; count: number; series: string }> =>
    [...times].sort((a, b) => a - b).map((t, i) => ({ t: Math.round(t) / 1000, count: i + 1, series }))
  const faultMarks = result.plan.faults
    .filter((f) => f.kind === 'partition' || f.kind === 'heal')
    .map((f) => ({ t: f.at / 1000, what: f.kind }))
  const out: Record<string, string> = {}
  out['latency-cdf.svg'] = await svg({
    ...base,
    title: `Message latency (${latencies.length} delivered)`,
    data: { values: cdf(latencies) },
    mark: { type: 'line', interpolate: 'step-after' },
    encoding: {
      x: { field: 'value', type: 'quantitative', title: 'send → inbox commit (ms)', scale: { type: 'symlog' } },
      y: { field: 'fraction', type: 'quantitative', title: 'fraction of messages', scale: { domain: [0, 1] } }
    }
  })
  out['deliveries.svg'] = await svg({
    ...base,
    title: 'Messages sent and delivered over time',
    layer: [
      {
        data: { values: [...cumulative(sent, 'sent'), ...cumulative(delivered, 'delivered')] },
        mark: { type: 'line', interpolate: 'step-after' },
        encoding: {
          x: { field: 't', type: 'quantitative', title: 'seconds since the workload started' },
          y: { field: 'count', type: 'quantitative', title: 'messages (cumulative)' },
          color: { field: 'series', type: 'nominal', title: null }
        }
      },
      ...(faultMarks.length > 0
        ? [
            {
              data: { values: faultMarks },
              mark: { type: 'rule' as const, strokeDash: [4, 4] },
              encoding: { x: { field: 't', type: 'quantitative' as const }, color: { value: '#888' } }
            }
          ]
        : [])
    ]
  } as TopLevelSpec)
  out['lookups.svg'] = await svg({
    ...base,
    title: `DHT lookup times (${lookupTimes.length} of ${result.lookups.length} succeeded)`,
    data: { values: cdf(lookupTimes) },
    mark: { type: 'line', interpolate: 'step-after' },
    encoding: {
      x: { field: 'value', type: 'quantitative', title: 'profile lookup (ms)', scale: { type: 'symlog' } },
      y: { field: 'fraction', type: 'quantitative', title: 'fraction of lookups', scale: { domain: [0, 1] } }
    }
  })
  const formed = thin(result.forming, 1_000).flatMap((f) => [
    { minutes: f.atMs / 60_000, nodes: f.started, series: 'started' },
    { minutes: f.atMs / 60_000, nodes: f.published, series: 'published' }
  ])
  out['forming.svg'] = await svg({
    ...base,
    title: `Network formation (${result.summary.nodes} nodes, formed in ${result.summary.formationS} s)`,
    data: { values: formed },
    mark: { type: 'line', interpolate: 'step-after' },
    encoding: {
      x: { field: 'minutes', type: 'quantitative', title: 'minutes since the run started' },
      y: { field: 'nodes', type: 'quantitative', title: 'nodes' },
      color: { field: 'series', type: 'nominal', title: null }
    }
  })
  return out
}

/** Write summary.json, events.csv, lookups.csv, forming.csv and the SVG plots into `dir`. */
export async function writeReport(dir: string, result: RunResult): Promise<string[]> {
  mkdirSync(dir, { recursive: true })
  const files: Record<string, string> = {
    'summary.json': `${JSON.stringify(result.summary, null, 2)}\n`,
    'events.csv': eventsCsv(result),
    'lookups.csv': lookupsCsv(result),
    'forming.csv': formingCsv(result),
    ...(await plots(result))
  }
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content)
  return Object.keys(files).map((n) => join(dir, n))
}

/**
 * When the terminal summary says the CPU was saturated: the event loop ran late by more than 50 ms
 * at p50, or the run's processes used 90 % of every core during the workload. At 2,000 nodes on 4
 * workers the loop was late by p50 48 ms only, with both cores busy throughout and messages p50 4.5 s.
 */
const SATURATED = { loopDelayP50Ms: 50, cpuShare: 0.9 }

/** The short summary printed at the end of a run. */
export function formatSummary(s: Summary): string {
  const ms = (v: number | null): string => (v === null ? '–' : `${v} ms`)
  const m = s.messages
  const workloadShare = s.cpuS.workloadWallS > 0 ? s.cpuS.workload / (s.cpuS.workloadWallS * s.cpuS.cores) : 0
  const saturated = s.eventLoopDelayMs.p50 > SATURATED.loopDelayP50Ms || workloadShare >= SATURATED.cpuShare
  const lines = [
    `Parley simulation: ${s.nodes} nodes (${s.transport}${s.workers > 0 ? `, ${s.workers} workers` : ''}), seed ${s.seed}, ${s.durationS} s (${s.routableS === null ? 'never routable' : `routable after ${s.routableS} s`}, network formed in ${s.formationS} s${s.unpublished > 0 ? `, ${s.unpublished} nodes still unpublished` : ''})`,
    `messages   ${m.delivered}/${m.sent} delivered, ${m.lost} lost, ${m.duplicates} duplicates${m.queued > 0 ? `, ${m.queued} still queued at the end` : ''}${m.undeliverable > 0 ? `, ${m.undeliverable} to misbehaving nodes` : ''}${m.planned > m.sent ? `, ${m.planned - m.sent} never sent` : ''}`,
    `latency    p50 ${ms(s.latencyMs.p50)}, p90 ${ms(s.latencyMs.p90)}, p99 ${ms(s.latencyMs.p99)}, max ${ms(s.latencyMs.max)}; queued (sealed, after a first message's lookup) p50 ${ms(s.queuedMs.p50)}, then to the inbox p50 ${ms(s.deliveryMs.p50)}`,
    `lookups    ${s.lookupMs.ok} ok, ${s.lookupMs.failed} failed; p50 ${ms(s.lookupMs.p50)}, p90 ${ms(s.lookupMs.p90)}, p99 ${ms(s.lookupMs.p99)}; first record p50 ${ms(s.lookupFirstRecordMs.p50)}, p90 ${ms(s.lookupFirstRecordMs.p90)}`,
    `traffic    ${(s.bytesSent / 1048576).toFixed(1)} MiB sent; memory ${s.rssMB.total} MB RSS (${s.rssMB.perNode} MB per node)`,
    `publishes  ${s.publishes.forming} profile puts while forming${s.publishes.when === 'after-join' ? ' (held until every node had joined)' : ''} (${s.publishes.quietWaitS} s waiting for republishing to calm), ${s.publishes.workload} during the workload`,
    `cpu        ${s.cpuS.forming} CPU-s forming, ${s.cpuS.workload} CPU-s in the ${s.cpuS.workloadWallS} s of workload and settling (${Math.round(workloadShare * 100)} % of ${s.cpuS.cores} cores); event loop late by p50 ${s.eventLoopDelayMs.p50} ms, p99 ${s.eventLoopDelayMs.p99} ms${saturated ? ' (CPU saturated: latencies include waiting for it; try fewer messages, a longer duration, fewer nodes or --workers)' : ''}`
  ]
  const d = s.dht
  lines.push(
    `dht        alpha ${d.alpha}, ${d.disjointPaths} disjoint paths, new contacts ${d.verifyNewContacts ? 'pinged before they enter a table' : 'taken in unpinged'}`
  )
  const f = s.faults
  if (f.churned + f.partitions + f.misbehaving + f.linkChanges > 0) {
    lines.push(
      `faults     ${f.churned} restarts, ${f.partitions} partitions, ${f.misbehaving} misbehaving nodes, ${f.linkChanges} link changes`
    )
  }
  if (s.verification !== undefined) {
    lines.push(
      `badges     ${Object.entries(s.verification)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ')}`
    )
  }
  return lines.join('\n')
}
