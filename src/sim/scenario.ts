import { readFileSync, statSync } from 'node:fs'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import { ScenarioError } from '../errors.ts'

/** One timed fault. Times are seconds from the start of the workload. */
export type Fault =
  | {
      /** Nodes stop (keeping their store) and start again later. */
      type: 'churn'
      /** Share of the non-seed nodes that churn. */
      fraction: number
      /** Each chosen node goes down at a random time in this window… */
      window: [number, number]
      /** …for a random time in this range. */
      down: [number, number]
    }
  | {
      /** Nodes split into groups that cannot reach each other, then heal. */
      type: 'partition'
      at: number
      duration: number
      /** How many groups. @default 2 */
      groups: number
    }
  | {
      /** A change of every link's latency and loss for a while. */
      type: 'link'
      at: number
      duration: number
      latencyMs: number
      loss: number
    }
  | {
      /** Nodes that drop everything they should store or deliver: DHT records and messages. */
      type: 'misbehave'
      fraction: number
    }

/** Everything a run needs; the same scenario and seed give the same identities, workload and faults. */
export interface Scenario {
  nodes: number
  seed: number | string
  transport: 'memory' | 'tcp'
  /** Child processes to spread the nodes over (0: all in this process). */
  workers: number
  /** Nodes that every other node bootstraps through. */
  seedNodes: number
  workload: {
    messages: number
    /** Seconds over which messages are sent (Poisson arrivals). */
    duration: number
    /** Size of each text. */
    textBytes: number
    /** DHT lookups (profile resolves) measured during the run. */
    lookups: number
  }
  /** Latency and loss on every link (memory transport, or TCP through the sim transport). */
  link: { latencyMs: number; jitterMs: number; loss: number }
  faults: Fault[]
  /** A registry and a verified business among the nodes; customers check its badge. */
  business?: { name: string; customers: number }
  /** Seconds to wait after the workload (and the last fault) for every message to land. */
  settle: number
  /** Seconds the network may take to become routable before the workload starts. */
  warmup: number
  /**
   * Kad-DHT settings every node runs with. Unset ones are production's (alpha 10, 10 disjoint
   * paths, new contacts pinged before they enter a routing table); README, "Lighter DHT settings".
   */
  dht: { alpha?: number; disjointPaths?: number; verifyNewContacts?: boolean }
  /**
   * When a node first publishes its profile while the network forms: as it starts, as a
   * production node does ("on-start"), or once every node has joined ("after-join"), so each
   * profile is put once, at the network's full size, and the growth republish has nothing to
   * move. Nodes that restart later (churn) publish as they start either way.
   */
  publish: 'on-start' | 'after-join'
}

const range = { type: 'array', items: { type: 'number', minimum: 0 }, minItems: 2, maxItems: 2 } as const

/** The scenario file's JSON schema. */
export const scenarioSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    nodes: { type: 'integer', minimum: 2, maximum: 50_000 },
    seed: { type: ['integer', 'string'], maxLength: 128 },
    transport: { enum: ['memory', 'tcp'] },
    workers: { type: 'integer', minimum: 0, maximum: 64 },
    seedNodes: { type: 'integer', minimum: 1, maximum: 64 },
    workload: {
      type: 'object',
      additionalProperties: false,
      properties: {
        messages: { type: 'integer', minimum: 0, maximum: 10_000_000 },
        duration: { type: 'number', minimum: 0, maximum: 86_400 },
        textBytes: { type: 'integer', minimum: 1, maximum: 60_000 },
        lookups: { type: 'integer', minimum: 0, maximum: 1_000_000 }
      }
    },
    link: {
      type: 'object',
      additionalProperties: false,
      properties: {
        latencyMs: { type: 'number', minimum: 0, maximum: 60_000 },
        jitterMs: { type: 'number', minimum: 0, maximum: 60_000 },
        loss: { type: 'number', minimum: 0, maximum: 0.5 }
      }
    },
    faults: {
      type: 'array',
      maxItems: 1000,
      items: {
        oneOf: [
          {
            type: 'object',
            additionalProperties: false,
            required: ['type', 'fraction'],
            properties: {
              type: { const: 'churn' },
              fraction: { type: 'number', minimum: 0, maximum: 1 },
              window: range,
              down: range
            }
          },
          {
            type: 'object',
            additionalProperties: false,
            required: ['type', 'at', 'duration'],
            properties: {
              type: { const: 'partition' },
              at: { type: 'number', minimum: 0 },
              duration: { type: 'number', minimum: 0 },
              groups: { type: 'integer', minimum: 2, maximum: 64 }
            }
          },
          {
            type: 'object',
            additionalProperties: false,
            required: ['type', 'at', 'duration'],
            properties: {
              type: { const: 'link' },
              at: { type: 'number', minimum: 0 },
              duration: { type: 'number', minimum: 0 },
              latencyMs: { type: 'number', minimum: 0, maximum: 60_000 },
              loss: { type: 'number', minimum: 0, maximum: 0.5 }
            }
          },
          {
            type: 'object',
            additionalProperties: false,
            required: ['type', 'fraction'],
            properties: { type: { const: 'misbehave' }, fraction: { type: 'number', minimum: 0, maximum: 0.5 } }
          }
        ]
      }
    },
    business: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 64 },
        customers: { type: 'number', minimum: 0, maximum: 1 }
      }
    },
    settle: { type: 'number', minimum: 0, maximum: 86_400 },
    warmup: { type: 'number', minimum: 0, maximum: 86_400 },
    publish: { enum: ['on-start', 'after-join'] },
    dht: {
      type: 'object',
      additionalProperties: false,
      properties: {
        alpha: { type: 'integer', minimum: 1, maximum: 20 },
        disjointPaths: { type: 'integer', minimum: 1, maximum: 20 },
        verifyNewContacts: { type: 'boolean' }
      }
    }
  }
} as const

let validator: ValidateFunction | undefined
/** Compiled on first use: every `parley` command would otherwise pay for it at start-up. */
function validate(input: unknown): boolean {
  validator ??= new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(scenarioSchema)
  return validator(input) as boolean
}

function describe(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'const')
    .slice(0, 5)
    .map(
      (e) =>
        `${e.instancePath === '' ? 'scenario' : e.instancePath} ${e.message ?? 'is invalid'}${e.keyword === 'additionalProperties' ? ` (${(e.params as { additionalProperty: string }).additionalProperty})` : ''}`
    )
    .join('; ')
}

export const DEFAULT_SCENARIO: Scenario = {
  nodes: 50,
  seed: 1,
  transport: 'memory',
  workers: 0,
  seedNodes: 3,
  workload: { messages: 100, duration: 20, textBytes: 64, lookups: 50 },
  link: { latencyMs: 0, jitterMs: 0, loss: 0 },
  faults: [],
  settle: 60,
  warmup: 120,
  dht: {},
  publish: 'on-start'
}

/** Check a scenario object and fill in defaults. Throws ScenarioError with what is wrong. */
export function parseScenario(input: unknown): Scenario {
  if (!validate(input)) throw new ScenarioError(`invalid scenario: ${describe(validator?.errors)}`)
  const raw = input as Partial<Scenario> & { faults?: Array<Record<string, unknown>> }
  const duration = raw.workload?.duration ?? DEFAULT_SCENARIO.workload.duration
  const faults: Fault[] = (raw.faults ?? []).map((f) => {
    switch (f.type) {
      case 'churn':
        return {
          type: 'churn',
          fraction: f.fraction as number,
          window: (f.window as [number, number] | undefined) ?? [0, duration / 2],
          down: (f.down as [number, number] | undefined) ?? [Math.max(1, duration / 10), Math.max(2, duration / 3)]
        }
      case 'partition':
        return {
          type: 'partition',
          at: f.at as number,
          duration: f.duration as number,
          groups: (f.groups as number | undefined) ?? 2
        }
      case 'link':
        return {
          type: 'link',
          at: f.at as number,
          duration: f.duration as number,
          latencyMs: (f.latencyMs as number | undefined) ?? 0,
          loss: (f.loss as number | undefined) ?? 0
        }
      default:
        return { type: 'misbehave', fraction: f.fraction as number }
    }
  })
  for (const f of faults) {
    if (f.type === 'churn' && (f.window[0] > f.window[1] || f.down[0] > f.down[1])) {
      throw new ScenarioError('invalid scenario: a churn window and down range go from low to high')
    }
  }
  const nodes = raw.nodes ?? DEFAULT_SCENARIO.nodes
  const scenario: Scenario = {
    nodes,
    seed: raw.seed ?? DEFAULT_SCENARIO.seed,
    transport: raw.transport ?? (raw.workers !== undefined && raw.workers > 0 ? 'tcp' : 'memory'),
    workers: raw.workers ?? 0,
    seedNodes: Math.min(raw.seedNodes ?? DEFAULT_SCENARIO.seedNodes, nodes),
    workload: { ...DEFAULT_SCENARIO.workload, ...raw.workload },
    link: { ...DEFAULT_SCENARIO.link, ...raw.link },
    faults,
    settle: raw.settle ?? DEFAULT_SCENARIO.settle,
    warmup: raw.warmup ?? DEFAULT_SCENARIO.warmup,
    dht: { ...raw.dht },
    publish: raw.publish ?? DEFAULT_SCENARIO.publish,
    ...(raw.business !== undefined
      ? { business: { name: raw.business.name, customers: raw.business.customers ?? 0.2 } }
      : {})
  }
  if (scenario.workers > 0 && scenario.transport !== 'tcp') {
    throw new ScenarioError('invalid scenario: workers talk TCP on loopback; use "transport": "tcp" (or leave it out)')
  }
  return scenario
}

/** Read and check a scenario file (JSON, at most 1 MiB). */
export function readScenarioFile(path: string): Scenario {
  let text: string
  try {
    if (statSync(path).size > 1024 * 1024) throw new ScenarioError(`${path} is larger than 1 MiB`)
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if (err instanceof ScenarioError) throw err
    throw new ScenarioError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new ScenarioError(`${path} is not valid JSON: ${(err as Error).message}`)
  }
  return parseScenario(json)
}
