/** The simulator refuses runs the machine's open-file limit cannot hold, before any node starts. */
import assert from 'node:assert/strict'
import { checkOpenFiles, FILES_PER_TCP_NODE, openFileLimit } from '../../src/sim/index.ts'

describe('sim: open-file limit', () => {
  it('reads this process soft limit from /proc (Linux)', () => {
    const limit = openFileLimit()
    assert.ok(limit === undefined || (Number.isSafeInteger(limit) && limit > 0), String(limit))
    if (process.platform === 'linux') assert.notEqual(limit, undefined)
  })

  it('refuses a TCP run whose processes would each need more sockets than allowed, naming enough workers', () => {
    assert.throws(
      () => checkOpenFiles({ nodes: 5000, workers: 2, transport: 'tcp', seedNodes: 3 }, 20_000),
      (err: Error) =>
        err.name === 'SimulationLimitError' && /--workers 8 /.test(err.message) && /20000/.test(err.message)
    )
    // in one process, the whole network counts
    assert.throws(
      () => checkOpenFiles({ nodes: 1000, workers: 0, transport: 'tcp', seedNodes: 3 }, 20_000),
      (err: Error) => err.name === 'SimulationLimitError'
    )
  })

  it('counts the seed nodes, which run in a process of their own, out of the workers share', () => {
    // 5,003 nodes on 8 workers: 5,000 share them (625 each, 20,000 files) beside 3 seeds
    checkOpenFiles({ nodes: 5003, workers: 8, transport: 'tcp', seedNodes: 3 }, 20_000)
    assert.throws(
      () => checkOpenFiles({ nodes: 5003, workers: 8, transport: 'tcp', seedNodes: 2 }, 20_000),
      (err: Error) => err.name === 'SimulationLimitError' && /--workers 9 /.test(err.message)
    )
  })

  it('lets through what fits: enough workers, the memory transport, or no known limit', () => {
    checkOpenFiles({ nodes: 5000, workers: 8, transport: 'tcp', seedNodes: 3 }, 20_000)
    checkOpenFiles({ nodes: 20_000 / FILES_PER_TCP_NODE, workers: 0, transport: 'tcp', seedNodes: 3 }, 20_000)
    checkOpenFiles({ nodes: 5000, workers: 0, transport: 'memory', seedNodes: 3 }, 1_024)
    checkOpenFiles({ nodes: 5000, workers: 1, transport: 'tcp', seedNodes: 3 }, null)
  })
})
