import { RecordRejectedError } from '../errors.ts'
import { peerIdToBytes } from '../identity/index.ts'
import { peekProfileOrder, verifyProfileRecord } from './record.ts'

/** Longest DHT key we look at. */
const MAX_KEY_LENGTH = 256
const decoder = new TextDecoder('utf-8', { fatal: true })
const encoder = new TextEncoder()

/** One kind of record under `/parley/<kind>/<id>`: how to validate it and how to order two of them. */
export interface RecordKind {
  /** Throw RecordRejectedError unless `value` is a valid record for `id`. */
  validate(id: string, value: Uint8Array, now: number): void
  /** > 0 if `a` is better (newer) than `b`, < 0 if worse, 0 if equal. Both already valid. */
  compare(a: Uint8Array, b: Uint8Array): number
}

/** Profiles: `/parley/profile/<peerId>`, signed by that peer; newest seq wins, then later expiry. */
export const profileKind: RecordKind = {
  validate(id, value, now) {
    let expectedPeer: Uint8Array
    try {
      expectedPeer = peerIdToBytes(id)
    } catch {
      throw new RecordRejectedError('profile key does not name a PeerId', 'bad-key')
    }
    verifyProfileRecord(value, { expectedPeer, now })
  },
  compare(a, b) {
    const oa = peekProfileOrder(a)
    const ob = peekProfileOrder(b)
    if (oa === undefined || ob === undefined) return oa === undefined ? (ob === undefined ? 0 : -1) : 1
    return oa.seq !== ob.seq ? oa.seq - ob.seq : oa.expiresAt - ob.expiresAt
  }
}

/** Split `/parley/<kind>/<id>`; throws RecordRejectedError for anything else. */
export function parseRecordKey(key: Uint8Array | string): { kind: string; id: string } {
  let s: string
  try {
    s = typeof key === 'string' ? key : decoder.decode(key)
  } catch {
    throw new RecordRejectedError('record key is not UTF-8', 'bad-key')
  }
  if (s.length > MAX_KEY_LENGTH) throw new RecordRejectedError('record key too long', 'bad-key')
  const parts = s.split('/')
  if (parts.length !== 4 || parts[0] !== '' || parts[1] !== 'parley' || parts[2] === '' || parts[3] === '') {
    throw new RecordRejectedError(`not a /parley/<kind>/<id> key: ${JSON.stringify(s.slice(0, 64))}`, 'bad-key')
  }
  return { kind: parts[2]!, id: parts[3]! }
}

/** The DHT key of a record. */
export function recordKey(kind: string, id: string): Uint8Array {
  return encoder.encode(`/parley/${kind}/${id}`)
}

/** The DHT key of a peer's profile. */
export function profileKey(peerId: string): Uint8Array {
  return recordKey('profile', peerId)
}

export interface RecordRules {
  /** Validate a `/parley/...` record (throws RecordRejectedError). */
  validate(key: Uint8Array, value: Uint8Array, now?: number): void
  /** Index of the best of several valid records for one key. */
  select(key: Uint8Array, values: Uint8Array[]): number
  /** > 0 if `a` is newer than `b` for this key. */
  compare(key: Uint8Array, a: Uint8Array, b: Uint8Array): number
  /** kad-dht `validators` (every namespace but `parley` refused) and `selectors`. */
  dhtValidators: Record<string, (key: Uint8Array, value: Uint8Array) => Promise<void>>
  dhtSelectors: Record<string, (key: Uint8Array, values: Uint8Array[]) => number>
}

/**
 * The validation rules every Parley DHT node applies, on PUT as a server and on GET as a reader.
 * `kinds` maps `<kind>` to its rules; profiles are built in, later issues add more.
 */
export function createRecordRules(kinds: Record<string, RecordKind> = {}): RecordRules {
  // the profile rule is fixed: readers check profiles with it directly (directory.ts)
  const all: Record<string, RecordKind> = { ...kinds, profile: profileKind }
  const kindOf = (key: Uint8Array): { kind: RecordKind; id: string } => {
    const { kind, id } = parseRecordKey(key)
    const rules = all[kind]
    if (rules === undefined) throw new RecordRejectedError(`unknown record kind ${JSON.stringify(kind)}`, 'bad-key')
    return { kind: rules, id }
  }
  const validate = (key: Uint8Array, value: Uint8Array, now = Date.now()): void => {
    const { kind, id } = kindOf(key)
    kind.validate(id, value, now)
  }
  const compare = (key: Uint8Array, a: Uint8Array, b: Uint8Array): number => kindOf(key).kind.compare(a, b)
  const select = (key: Uint8Array, values: Uint8Array[]): number => {
    const { kind } = kindOf(key)
    let best = 0
    for (let i = 1; i < values.length; i++) if (kind.compare(values[i]!, values[best]!) > 0) best = i
    return best
  }
  const refuse = async (): Promise<void> => {
    throw new RecordRejectedError('Parley nodes store only /parley/ records', 'namespace')
  }
  return {
    validate,
    select,
    compare,
    dhtValidators: {
      parley: async (key, value) => validate(key, value),
      // kad-dht adds a /pk/ validator by default; a Parley network stores nothing outside /parley/
      pk: refuse,
      ipns: refuse
    },
    dhtSelectors: { parley: select }
  }
}
