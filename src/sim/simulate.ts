import { simulationNodeOptions } from './node-preset.ts'
import { type RunInit, type RunResult, runInProcess } from './runner.ts'

/** Run a scenario: in this process, or spread over worker processes when it asks for workers. */
export async function runSimulation(
  init: Omit<RunInit, 'nodeOptions'> & { nodeOptions?: RunInit['nodeOptions'] }
): Promise<RunResult> {
  const nodeOptions = init.nodeOptions ?? simulationNodeOptions()
  if (init.scenario.workers > 0) {
    const { runWithWorkers } = await import('./coordinator.ts')
    return runWithWorkers({ ...init, nodeOptions })
  }
  return runInProcess({ ...init, nodeOptions })
}
