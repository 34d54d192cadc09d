/** The network simulator: real Parley nodes by the hundred or thousand, scenarios, faults, seeded runs, reports. */
export type { Cluster, ClusterInit, SimNode } from './cluster.ts'
export { createCluster, simIdentity } from './cluster.ts'
export { workerOf } from './coordinator.ts'
export {
  BATCH_JOIN_WAIT_MS,
  BOOTSTRAP_SEEDS,
  bootstrapFor,
  JOINED_CONTACTS,
  joinInBatches,
  joinThenPublish,
  waitPublished
} from './forming.ts'
export { checkOpenFiles, FILES_PER_TCP_NODE, openFileLimit } from './limits.ts'
export { distribution, percentile } from './metrics.ts'
export type { SimulationNodeOptions } from './node-preset.ts'
export { seedNodeOptions, simulationNodeOptions, tuneSimulationProcess } from './node-preset.ts'
export type { FaultEvent, Plan, PlannedLookup, PlannedMessage } from './plan.ts'
export { makePlan, messageText } from './plan.ts'
export { eventsCsv, formatSummary, formingCsv, lookupsCsv, plots, writeReport } from './report.ts'
export type { Rng } from './rng.ts'
export { derive, deriveBytes } from './rng.ts'
export type { FormingSample, LookupRecord, MessageRecord, Progress, RunInit, RunResult, Summary } from './runner.ts'
export { runInProcess, waitQuiet } from './runner.ts'
export type { Fault, Scenario } from './scenario.ts'
export { DEFAULT_SCENARIO, parseScenario, readScenarioFile, scenarioSchema } from './scenario.ts'
export type { LinkConditions } from './simnet.ts'
export { SimConnection, SimNetwork, simTransport } from './simnet.ts'
export { simTcpTransport } from './simtcp.ts'
export { runSimulation } from './simulate.ts'
