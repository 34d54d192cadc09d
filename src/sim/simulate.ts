import { checkOpenFiles } from './limits.ts'
import { simulationNodeOptions } from './node-preset.ts'
import { type RunInit, type RunResult, runInProcess } from './runner.ts'

/** Run a scenario: in this process, or spread over worker processes when it asks for workers. */
export async function runSimulation(
  init: Omit<RunInit, 'nodeOptions'> & { nodeOptions?: RunInit['nodeOptions'] }
): Promise<RunResult> {
  checkOpenFiles(init.scenario)
  const base = init.nodeOptions ?? simulationNodeOptions()
  // the scenario's DHT settings win over the preset's (both keep production's where they are silent)
  const nodeOptions = { ...base, dht: { ...base.dht, ...init.scenario.dht } }
  if (init.scenario.workers > 0) {
    const { runWithWorkers } = await import('./coordinator.ts')
    return runWithWorkers({ ...init, nodeOptions })
  }
  return runInProcess({ ...init, nodeOptions })
}
