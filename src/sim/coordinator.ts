import { type ChildProcess, fork } from 'node:child_process'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { logger } from '@libp2p/logger'
import { SimulationWorkerError } from '../errors.ts'
import { type ClusterHandle, cpuSeconds, distinctDhtSettings, type JoinState, type SimStats } from './handle.ts'
import { prepare, type RunInit, type RunResult, recordDelivery, runScenario } from './runner.ts'
import type { LinkConditions } from './simnet.ts'

const log = logger('parley:sim:coordinator')

/** Coordinator → worker: a call; the worker answers `{ re: id, ok, value | error }`. */
export type WorkerCall =
  | { op: 'start'; index: number; bootstrap: string[]; publish?: boolean }
  | { op: 'publish'; index: number }
  | { op: 'joinState'; index: number }
  | { op: 'rejoin'; index: number }
  | { op: 'stop'; index: number }
  | { op: 'published'; index: number }
  | { op: 'stillQueued'; from: number; ids: string[] }
  | { op: 'committed'; to: number; ids: string[] }
  | { op: 'send'; from: number; to: number; text: string }
  | { op: 'lookup'; from: number; target: number; askRecipient?: boolean }
  | { op: 'partition'; groups: number[] | undefined }
  | { op: 'link'; conditions: LinkConditions }
  | { op: 'verify'; from: number; target: number }
  | { op: 'stats'; reset?: boolean }
  | { op: 'stopAll' }

export interface WorkerInitMessage {
  type: 'init'
  scenario: RunInit['scenario']
  indices: number[]
  misbehaving: number[]
  seeds: number[]
  business?: ReturnType<typeof prepare>['business']
  nodeOptions: RunInit['nodeOptions']
}

const workerEntry = (): string => {
  const here = import.meta.url
  return fileURLToPath(new URL(`./worker${here.endsWith('.ts') ? '.ts' : '.js'}`, here))
}

/**
 * The worker process of node `index`: the seed nodes share worker K, a process of their own, and
 * node i of the rest runs in worker i mod K. A seed is every joiner's first contact; sharing a
 * saturated thread with hundreds of nodes, the seeds stopped accepting connections past about
 * 1,850 nodes on 4 workers (their accept queues full), and every later joiner failed to
 * bootstrap. Real bootstrap nodes run on machines of their own too.
 */
export function workerOf(index: number, seeds: ReadonlySet<number>, workers: number): number {
  return seeds.has(index) ? workers : index % workers
}

/** A worker that has neither exited nor been ended by a signal. */
const isRunning = (w: ChildProcess): boolean => w.exitCode === null && w.signalCode === null

/** How long a worker gets to exit by itself after its nodes stopped. */
const WORKER_EXIT_MS = 60_000

/**
 * Spread the nodes over K worker processes and one for the seeds (workerOf), talking real TCP on
 * loopback; this process runs the clock, the workload and the faults, and gathers the results.
 */
export async function runWithWorkers(init: RunInit): Promise<RunResult> {
  const s = init.scenario
  const k = s.workers
  const { plan, business } = prepare(s)
  const deliveries = new Map<string, { at: number; count: number }>()
  const workers: ChildProcess[] = []
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>()
  const up = new Set<number>()
  const peerIds = new Map<number, string>()
  let nextId = 0
  let failed: Error | undefined

  // a ceiling, not a budget: live heap is about 1 MB per node (bench:sim-scale), and the worker caps
  // how far V8 grows past it (tuneSimulationProcess); a worker that hits the ceiling dies
  const heap = Math.max(2048, Math.ceil((s.nodes / k) * 16))
  const seeds = new Set(plan.seeds)
  const processes = seeds.size > 0 ? k + 1 : k
  for (let w = 0; w < processes; w++) {
    const child = fork(workerEntry(), [], {
      serialization: 'advanced',
      execArgv: [`--max-old-space-size=${heap}`],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc']
    })
    child.on(
      'message',
      (msg: {
        type?: string
        re?: number
        ok?: boolean
        value?: unknown
        error?: string
        id?: string
        at?: number
      }) => {
        if (msg.type === 'delivered') {
          recordDelivery(deliveries, msg.id!, msg.at!)
          return
        }
        if (msg.re === undefined) return
        const p = pending.get(msg.re)
        pending.delete(msg.re)
        if (msg.ok === true) p?.resolve(msg.value)
        else p?.reject(new Error(msg.error ?? 'worker call failed'))
      }
    )
    const fail = (reason: string): void => {
      failed ??= new SimulationWorkerError(`simulation worker ${w} ${reason}`)
      log.error(failed.message)
      for (const p of pending.values()) p.reject(failed)
      pending.clear()
    }
    child.on('exit', (code, signal) => {
      if (code !== 0) fail(`exited (${signal ?? code})`)
    })
    // a worker that could not be started; unheard, the event would end the coordinator
    child.on('error', (err) => fail(`failed: ${err.message}`))
    const indices = Array.from({ length: s.nodes }, (_, i) => i).filter((i) => workerOf(i, seeds, k) === w)
    const initMessage: WorkerInitMessage = {
      type: 'init',
      scenario: s,
      indices,
      misbehaving: plan.misbehaving,
      seeds: plan.seeds,
      nodeOptions: init.nodeOptions,
      ...(business !== undefined ? { business } : {})
    }
    child.send(initMessage)
    workers.push(child)
  }

  const call = <T>(worker: number, c: WorkerCall): Promise<T> => {
    if (failed !== undefined) return Promise.reject(failed)
    const id = nextId++
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      // with a callback, a send to a worker whose channel closed before its 'exit' rejects this
      // call; without one, ChildProcess emits 'error' and, unheard, that ends the coordinator
      workers[worker]!.send({ id, call: c }, undefined, undefined, (err) => {
        if (err === null) return
        pending.delete(id)
        reject(failed ?? new SimulationWorkerError(`simulation worker ${worker} is gone: ${err.message}`))
      })
    })
  }
  const of = (i: number): number => workerOf(i, seeds, k)
  const everyone = <T>(c: WorkerCall): Promise<T[]> => Promise.all(workers.map((_, w) => call<T>(w, c)))

  const handle: ClusterHandle = {
    async start(index, bootstrap, options = {}) {
      const r = await call<{ address: string; peerId: string }>(of(index), {
        op: 'start',
        index,
        bootstrap,
        ...(options.publish === false ? { publish: false } : {})
      })
      up.add(index)
      peerIds.set(index, r.peerId)
      return r.address
    },
    async stop(index) {
      up.delete(index)
      await call(of(index), { op: 'stop', index })
    },
    isUp: (index) => up.has(index),
    published: (index) => call<boolean>(of(index), { op: 'published', index }),
    stillQueued: (from, ids) => call<string[]>(of(from), { op: 'stillQueued', from, ids }),
    committed: (to, ids) => call<Array<{ id: string; at: number }>>(of(to), { op: 'committed', to, ids }),
    publish: (index) => call<void>(of(index), { op: 'publish', index }),
    joinState: (index) => call<JoinState>(of(index), { op: 'joinState', index }),
    rejoin: (index) => call<void>(of(index), { op: 'rejoin', index }),
    peerId: (index) => peerIds.get(index) ?? '',
    send: (from, to, text) => call(of(from), { op: 'send', from, to, text }),
    lookup: (from, target, options = {}) =>
      call(of(from), { op: 'lookup', from, target, ...(options.askRecipient === true ? { askRecipient: true } : {}) }),
    partition: async (groups) => {
      await everyone({ op: 'partition', groups })
    },
    setLink: async (conditions) => {
      await everyone({ op: 'link', conditions })
    },
    verify: (from, target) => call(of(from), { op: 'verify', from, target }),
    async stats(options = {}) {
      const all = await everyone<SimStats>({ op: 'stats', reset: options.reset === true })
      const sum = (of: (s: SimStats) => number): number => all.reduce((total, s) => total + of(s), 0)
      return {
        rss: sum((s) => s.rss) + process.memoryUsage().rss,
        bytesSent: sum((s) => s.bytesSent),
        loopDelayMs: {
          p50: Math.max(0, ...all.map((s) => s.loopDelayMs.p50)),
          p99: Math.max(0, ...all.map((s) => s.loopDelayMs.p99))
        },
        dht: distinctDhtSettings(all.flatMap((s) => s.dht)),
        publishes: {
          total: sum((s) => s.publishes.total),
          active: sum((s) => s.publishes.active),
          recent: sum((s) => s.publishes.recent)
        },
        cpuS: sum((s) => s.cpuS) + cpuSeconds()
      }
    },
    async stopAll() {
      // after a worker died, calls fail at once and no worker is told to stop: waiting would only
      // add WORKER_EXIT_MS to a failed run, so the rest are ended now
      if (failed === undefined) {
        await everyone({ op: 'stopAll' }).catch(() => {})
        // a worker exits by itself once its nodes have stopped, and on the way out writes what Node
        // was asked to (a --cpu-prof profile of hundreds of MB takes seconds); only a stuck one is ended
        await Promise.race([
          Promise.all(workers.filter(isRunning).map((w) => once(w, 'exit'))),
          sleep(WORKER_EXIT_MS, undefined, { ref: false })
        ])
      }
      for (const w of workers) if (isRunning(w)) w.kill('SIGTERM')
    }
  }

  try {
    return await runScenario({ ...init, plan, handle, deliveries, workers: k })
  } finally {
    for (const w of workers) if (isRunning(w)) w.kill('SIGKILL')
  }
}
