/**
 * A simulation worker: runs its share of the nodes (TCP on loopback) and answers the
 * coordinator's calls over IPC. Started by coordinator.ts with fork(); not a CLI entry.
 */
import type { WorkerCall, WorkerInitMessage } from './coordinator.ts'
import { type ClusterHandle, localHandle } from './handle.ts'
import { tuneSimulationProcess } from './node-preset.ts'

tuneSimulationProcess()

let handle: ClusterHandle | undefined

/**
 * Send to the coordinator. If it is gone, 'disconnect' ends this worker; a send racing that would
 * otherwise throw EPIPE as an unhandled 'error' event, with a stack trace per worker.
 */
function tell(message: unknown): void {
  process.send?.(message, undefined, undefined, () => {})
}

async function answer(c: WorkerCall): Promise<unknown> {
  if (handle === undefined) throw new Error('worker not initialised')
  switch (c.op) {
    case 'start': {
      const address = await handle.start(c.index, c.bootstrap, c.publish === false ? { publish: false } : {})
      return { address, peerId: handle.peerId(c.index) }
    }
    case 'stop':
      return handle.stop(c.index)
    case 'published':
      return handle.published(c.index)
    case 'stillQueued':
      return handle.stillQueued(c.from, c.ids)
    case 'committed':
      return handle.committed(c.to, c.ids)
    case 'publish':
      return handle.publish(c.index)
    case 'joinState':
      return handle.joinState(c.index)
    case 'rejoin':
      return handle.rejoin(c.index)
    case 'send':
      return handle.send(c.from, c.to, c.text)
    case 'lookup':
      return handle.lookup(c.from, c.target, { askRecipient: c.askRecipient === true })
    case 'partition':
      return handle.partition(c.groups)
    case 'link':
      return handle.setLink(c.conditions)
    case 'verify':
      return handle.verify(c.from, c.target)
    case 'stats':
      return handle.stats({ reset: c.reset === true })
    case 'stopAll':
      await handle.stopAll()
      setTimeout(() => process.exit(0), 50)
      return undefined
  }
}

process.on('message', (msg: WorkerInitMessage | { id: number; call: WorkerCall }) => {
  if ('type' in msg && msg.type === 'init') {
    handle = localHandle({
      seed: msg.scenario.seed,
      nodes: msg.scenario.nodes,
      indices: msg.indices,
      transport: 'tcp',
      link: msg.scenario.link,
      misbehaving: msg.misbehaving,
      seeds: msg.seeds,
      nodeOptions: msg.nodeOptions ?? {},
      ...(msg.business !== undefined ? { business: msg.business } : {}),
      onDelivered: (id, at) => tell({ type: 'delivered', id, at })
    })
    return
  }
  const { id, call } = msg as { id: number; call: WorkerCall }
  answer(call).then(
    (value) => tell({ re: id, ok: true, value }),
    (err: Error) => tell({ re: id, ok: false, error: err.message })
  )
})

// a node's background error must not take its neighbours down with it
process.on('unhandledRejection', () => {})
process.on('disconnect', () => process.exit(0))
