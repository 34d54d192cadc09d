import { Libp2pRecord } from '@libp2p/record'
import { MemoryDatastore } from 'datastore-core'
import { Key } from 'interface-datastore'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import type { RecordRules } from '../directory/index.ts'
import { RecordRejectedError } from '../errors.ts'
import { ownBuffer } from './own-memory.ts'

export interface GuardedDatastoreInit {
  rules: RecordRules
  /** Most DHT records held for others; new keys beyond it are refused. @default 50_000 */
  maxRecords?: number
  /** Datastore prefix of the DHT's records. @default '/dht/record/' */
  recordPrefix?: string
}

/**
 * The datastore libp2p and the DHT use, with one addition: a DHT PUT that would replace a record
 * with an older one (lower seq) is refused. kad-dht's validators only see the new value, so
 * without this a stale record overwrites a fresh one (notes/libp2p-v3.md §2). The number of
 * records held is capped so a peer cannot fill our memory with valid junk. Every value is stored
 * in a buffer of its own (`ownBuffer`): 300 simulated nodes' peer stores held 8.8 MB of values in
 * 241 MB of pool slabs and frames before (scripts/bench-sim-scale.ts).
 */
export class GuardedDatastore extends MemoryDatastore {
  readonly #rules: RecordRules
  readonly #maxRecords: number
  readonly #prefix: string
  #records = 0

  constructor(init: GuardedDatastoreInit) {
    super()
    this.#rules = init.rules
    this.#maxRecords = init.maxRecords ?? 50_000
    this.#prefix = init.recordPrefix ?? '/dht/record/'
  }

  override async put(key: Key, value: Uint8Array): Promise<Key> {
    const val = ownBuffer(value)
    const k = key.toString()
    if (!k.startsWith(this.#prefix)) return super.put(key, val)
    const incoming = Libp2pRecord.deserialize(val)
    const exists = await this.has(key)
    if (exists) {
      const current = Libp2pRecord.deserialize(await this.get(key))
      let worse: boolean
      try {
        worse = this.#rules.compare(incoming.key, incoming.value, current.value) < 0
      } catch {
        worse = false
      }
      if (worse) throw new RecordRejectedError('refusing to replace a record with an older one', 'stale')
    } else if (this.#records >= this.#maxRecords) {
      throw new RecordRejectedError('record store is full', 'quota')
    }
    await super.put(key, val)
    if (!exists) this.#records++
    return key
  }

  /** The value of a DHT record this node holds, if any (kad-dht stores them under base32 keys). */
  async getRecord(dhtKey: Uint8Array): Promise<Uint8Array | undefined> {
    const key = new Key(`${this.#prefix}${uint8ArrayToString(dhtKey, 'base32')}`, false)
    if (!(await this.has(key))) return undefined
    return Libp2pRecord.deserialize(await this.get(key)).value
  }

  override async delete(key: Key): Promise<void> {
    if (key.toString().startsWith(this.#prefix) && (await this.has(key))) this.#records--
    await super.delete(key)
  }
}
