import { basename, resolve } from 'node:path'
import { MultiBar, Presets } from 'cli-progress'
import { Command, InvalidArgumentError, Option } from 'commander'
import type { Progress } from '../../../sim/runner.ts'
import { parseScenario, readScenarioFile, type Scenario } from '../../../sim/scenario.ts'
import { type CliContext, positiveInt, withJson } from '../../context.ts'
import { surviveStrayRejections } from '../../io.ts'

interface SimOptions {
  nodes?: number
  transport?: 'memory' | 'tcp'
  messages?: number
  duration?: number
  churn?: number
  loss?: number
  latency?: number
  seed?: string
  workers?: number
  scenario?: string
  out: string
  json?: boolean
  progress?: boolean
}

function number(name: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value)
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max)
      throw new InvalidArgumentError(`${name} must be a number from ${min} to ${max}`)
    return n
  }
}

/** Scenario file (if any), then the flags given on the command line on top. */
function buildScenario(options: SimOptions, given: (name: string) => boolean): Scenario {
  const file = options.scenario !== undefined ? readScenarioFile(resolve(options.scenario)) : undefined
  const raw: Record<string, unknown> = file !== undefined ? JSON.parse(JSON.stringify(file)) : {}
  const workload = { ...(raw.workload as object | undefined) } as Record<string, unknown>
  const link = { ...(raw.link as object | undefined) } as Record<string, unknown>
  const faults = [...((raw.faults as unknown[] | undefined) ?? [])]
  if (given('nodes')) raw.nodes = options.nodes
  if (given('transport')) raw.transport = options.transport
  if (given('workers')) raw.workers = options.workers
  if (given('seed')) raw.seed = /^\d+$/.test(options.seed!) ? Number(options.seed) : options.seed
  if (given('messages')) workload.messages = options.messages
  if (given('duration')) workload.duration = options.duration
  if (given('latency')) link.latencyMs = options.latency
  if (given('loss')) link.loss = options.loss
  if (given('churn') && options.churn! > 0) faults.push({ type: 'churn', fraction: options.churn })
  raw.workload = workload
  raw.link = link
  raw.faults = faults
  if (raw.workers !== undefined && (raw.workers as number) > 0 && raw.transport === undefined) raw.transport = 'tcp'
  return parseScenario(raw)
}

/** Shortest time between two progress lines when stderr is not a terminal. */
const PROGRESS_LINE_MS = 30_000

/**
 * A progress line without its time: `forming: 2500/2500 nodes started, 2480 published, probe 9/10
 * found, 31 republishing, 0/300 messages delivered` (the probe part only while the routable check
 * runs, the republishing part while the run waits for it to calm).
 */
export function progressLine(p: Progress): string {
  const forming = p.phase === 'forming'
  const probe = p.probe !== undefined && forming ? `, probe ${p.probe.found}/${p.probe.of} found` : ''
  const republishing = p.republishing !== undefined && forming ? `, ${p.republishing} republishing` : ''
  return `${p.phase}: ${p.started}/${p.nodes} nodes started, ${p.published} published${probe}${republishing}, ${p.delivered}/${p.planned} messages delivered`
}

/** `parley sim`: run a simulated Parley network and write its report. */
export function registerSim(program: Command, ctx: CliContext): void {
  const command = new Command('sim')
    .description('simulate a network of real Parley nodes: workload, faults, seeded, with a report and plots')
    .option('--nodes <n>', 'how many nodes (default 50)', positiveInt('--nodes', 50_000))
    .addOption(new Option('--transport <kind>', 'memory (one process) or tcp (loopback)').choices(['memory', 'tcp']))
    .option('--messages <m>', 'messages between random pairs (default 100)', number('--messages', 0, 10_000_000))
    .option(
      '--duration <seconds>',
      'seconds over which they are sent, Poisson arrivals (default 20)',
      number('--duration', 0, 86_400)
    )
    .option(
      '--churn <fraction>',
      'share of nodes that stop and start again later, keeping their store',
      number('--churn', 0, 1)
    )
    .option(
      '--loss <p>',
      'loss probability per buffer on every link (retransmitted like TCP)',
      number('--loss', 0, 0.5)
    )
    .option('--latency <ms>', 'latency on every link', number('--latency', 0, 60_000))
    .option('--seed <s>', 'the seed: same seed, same identities, workload and faults (default 1)')
    .option(
      '--workers <k>',
      'spread the nodes over K child processes talking TCP on loopback (the seed nodes get one more)',
      number('--workers', 0, 64)
    )
    .option('--scenario <file>', 'a scenario file (JSON); flags given on the command line override it')
    .option('--out <dir>', 'where to write summary.json, events.csv and the plots', 'sim-results')
    .option('--no-progress', 'no progress bar')
  withJson(command).action(async (options: SimOptions) => {
    const given = (name: string): boolean => command.getOptionValueSource(name) === 'cli'
    const scenario = buildScenario(options, given)
    const showBar = options.progress !== false && options.json !== true && process.stderr.isTTY === true
    const bars = showBar
      ? new MultiBar(
          { clearOnComplete: true, hideCursor: true, format: ' {phase} |{bar}| {value}/{total} {unit}' },
          Presets.shades_classic
        )
      : undefined
    const startBar = bars?.create(scenario.nodes, 0, { phase: 'starting ', unit: 'nodes' })
    const msgBar = bars?.create(Math.max(1, scenario.workload.messages), 0, { phase: 'delivered', unit: 'messages' })
    // without a terminal (a log file, CI, --json on stdout), a line on stderr at every phase and
    // at most every 30 s between, so a run of an hour can be followed
    let lastPhase = ''
    let lastLineAt = 0
    const onProgress = (p: Progress): void => {
      startBar?.update(p.started, { phase: p.phase.padEnd(9) })
      msgBar?.update(p.delivered)
      if (showBar || options.progress === false) return
      if (p.phase === lastPhase && Date.now() - lastLineAt < PROGRESS_LINE_MS) return
      lastPhase = p.phase
      lastLineAt = Date.now()
      ctx.io.stderr(`${new Date().toISOString().slice(11, 19)} ${progressLine(p)}\n`)
    }
    surviveStrayRejections((line) => ctx.io.stderr(line))
    const { runSimulation } = await import('../../../sim/simulate.ts')
    const { tuneSimulationProcess } = await import('../../../sim/node-preset.ts')
    tuneSimulationProcess()
    const { formatSummary, writeReport } = await import('../../../sim/report.ts')
    let result: Awaited<ReturnType<typeof runSimulation>>
    try {
      result = await runSimulation({ scenario, onProgress })
    } finally {
      bars?.stop()
    }
    const out = resolve(options.out)
    const files = await writeReport(out, result)
    if (options.json === true) ctx.io.stdout(`${JSON.stringify(result.summary, null, 2)}\n`)
    else
      ctx.io.stdout(
        `${formatSummary(result.summary)}\nreport     ${out}/ (${files.map((f) => basename(f)).join(', ')})\n`
      )
  })
  program.addCommand(command)
}
