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
      () => checkOpenFiles({ nodes: 5000, workers: 2, transport: 'tcp' }, 20_000),
      (err: Error) =>
        err.name === 'SimulationLimitError' && /--workers 8 /.test(err.message) && /20000/.test(err.message)
    )
    // in one process, the whole network counts
    assert.throws(
      () => checkOpenFiles({ nodes: 1000, workers: 0, transport: 'tcp' }, 20_000),
      (err: Error) => err.name === 'SimulationLimitError'
    )
  })

  it('lets through what fits: enough workers, the memory transport, or no known limit', () => {
    checkOpenFiles({ nodes: 5000, workers: 8, transport: 'tcp' }, 20_000)
    checkOpenFiles({ nodes: 20_000 / FILES_PER_TCP_NODE, workers: 0, transport: 'tcp' }, 20_000)
    checkOpenFiles({ nodes: 5000, workers: 0, transport: 'memory' }, 1_024)
    checkOpenFiles({ nodes: 5000, workers: 1, transport: 'tcp' }, null)
  })
})
