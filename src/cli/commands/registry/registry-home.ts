import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { array, bytes, defineSchema, field, oneOf, optional, text, uint } from '../../../codec/index.ts'
import { DEFAULT_ROOT_LIFETIME_MS, MAX_STATUS_LIFETIME_MS } from '../../../constants.ts'
import { getEngine } from '../../../crypto/index.ts'
import { ConfigError, IdentityExistsError, IssuanceRefusedError } from '../../../errors.ts'
import { ensureHome, readFileCapped, writePrivateFileAtomic } from '../../../identity/index.ts'
import {
  type Attestation,
  AttestationBundle,
  businessNameProblem,
  confusable,
  createStatusRecord,
  encodeRootChain,
  issueAttestation,
  leafHash,
  type RegistryKeyPair,
  RootChain,
  type RootMetadata,
  registryKeyPair,
  SignedRoot,
  signRoot,
  signStatusList,
  treeHead,
  verifyRootChain
} from '../../../registry/index.ts'

/**
 * A registry's folder (mode 0700, files 0600): its keys, its root chain (also written as the
 * distribution file `root.parley`), what it issued and revoked, and its append-only log.
 * The keys live together here for a single operator; a production registry keeps the root keys
 * offline on separate machines (the chain format already supports that: any threshold of them).
 */

const STATE_FILE = 'registry.state'
export const ROOT_FILE = 'root.parley'
const MAX_STATE_BYTES = 64 * 1024 * 1024

const KeyEntry = defineSchema({
  name: 'registry-key-entry',
  version: 1,
  maxBytes: 256,
  fields: {
    role: field(1, oneOf(['root', 'issuer', 'status', 'retired'] as const)),
    seed: field(2, bytes({ len: 32 })),
    createdAt: field(3, uint())
  }
})

const Issued = defineSchema({
  name: 'registry-issued',
  version: 1,
  maxBytes: 4096,
  fields: {
    serial: field(1, bytes({ len: 16 })),
    subject: field(2, text(64)),
    name: field(3, text(64)),
    skeleton: field(4, text(256)),
    issuedAt: field(5, uint()),
    expiresAt: field(6, uint()),
    revokedAt: optional(7, uint())
  }
})

const LogEntry = defineSchema({
  name: 'registry-log-entry',
  version: 1,
  maxBytes: 4096,
  fields: {
    kind: field(1, oneOf(['issue', 'revoke', 'root'] as const)),
    at: field(2, uint()),
    /** The attestation payload, the revoked serial, or the signed root. */
    data: field(3, bytes({ max: 8192 }))
  }
})

const State = defineSchema({
  name: 'registry-state',
  version: 1,
  maxBytes: MAX_STATE_BYTES,
  fields: {
    name: field(1, text(64)),
    keys: field(2, array(KeyEntry, 1024)),
    chain: field(3, bytes({ max: 64 * 1024 })),
    issued: field(4, array(Issued, 1_000_000)),
    statusSeq: field(5, uint()),
    log: field(6, array(LogEntry, 2_000_000))
  }
})
type State = ReturnType<typeof State.decode>

export interface RegistryHome {
  readonly dir: string
  readonly registryId: string
  readonly state: State
  readonly latest: RootMetadata
  readonly rootFile: string
  save(): void
}

const NO_REGISTRY = (dir: string): ConfigError =>
  new ConfigError(`no registry in ${dir} (run \`parley registry init --home ${dir}\`)`)

function keysOf(state: State, role: 'root' | 'issuer' | 'status'): RegistryKeyPair[] {
  return state.keys.filter((k) => k.role === role).map((k) => registryKeyPair(k.seed))
}

function rootMetadata(
  name: string,
  version: number,
  now: number,
  root: RegistryKeyPair[],
  issuer: RegistryKeyPair[],
  status: RegistryKeyPair[]
): RootMetadata {
  const all = [...root, ...issuer, ...status]
  return {
    rootVersion: version,
    name,
    createdAt: now,
    expiresAt: now + DEFAULT_ROOT_LIFETIME_MS,
    keys: all.map((k) => ({ kid: k.kid, publicKey: k.publicKey })),
    root: { kids: root.map((k) => k.kid), threshold: Math.min(2, root.length) },
    issuer: { kids: issuer.map((k) => k.kid), threshold: 1 },
    status: { kids: status.map((k) => k.kid), threshold: 1 }
  }
}

function open(dir: string, state: State): RegistryHome {
  const chain = verifyRootChain(state.chain)
  const home: RegistryHome = {
    dir,
    registryId: chain.registryId,
    state,
    latest: chain.latest,
    rootFile: join(dir, ROOT_FILE),
    save() {
      writePrivateFileAtomic(join(dir, STATE_FILE), State.encode(state))
      writePrivateFileAtomic(join(dir, ROOT_FILE), state.chain)
    }
  }
  return home
}

/** `parley registry init`: three root keys (2 of 3 sign), an issuing key and a status key; root version 1. */
export function initRegistry(dir: string, name: string, now = Date.now()): RegistryHome {
  if (existsSync(join(dir, STATE_FILE))) throw new IdentityExistsError(`${dir} already holds a registry`)
  ensureHome(dir)
  const engine = getEngine()
  const seeds = {
    root: [0, 1, 2].map(() => engine.randomBytes(32)),
    issuer: engine.randomBytes(32),
    status: engine.randomBytes(32)
  }
  const root = seeds.root.map((s) => registryKeyPair(s))
  const meta = rootMetadata(name, 1, now, root, [registryKeyPair(seeds.issuer)], [registryKeyPair(seeds.status)])
  const signedV1 = signRoot(meta, root)
  const state: State = {
    name,
    keys: [
      ...seeds.root.map((seed) => ({ role: 'root' as const, seed, createdAt: now })),
      { role: 'issuer', seed: seeds.issuer, createdAt: now },
      { role: 'status', seed: seeds.status, createdAt: now }
    ],
    chain: encodeRootChain([signedV1]),
    issued: [],
    statusSeq: 0,
    log: [{ kind: 'root', at: now, data: signedV1 }]
  }
  const home = open(dir, state)
  home.save()
  return home
}

export function openRegistry(dir: string): RegistryHome {
  const path = join(dir, STATE_FILE)
  if (!existsSync(path)) throw NO_REGISTRY(dir)
  let state: State
  try {
    state = State.decode(new Uint8Array(readFileCapped(path, MAX_STATE_BYTES)))
  } catch (err) {
    throw new ConfigError(`${path} is damaged: ${(err as Error).message}`)
  }
  return open(dir, state)
}

export interface IssueOptions {
  subject: string
  name: string
  days?: number
  domain?: string
  country?: string
  category?: string
  now?: number
}

/** Issue an attestation (refusing a name confusable with one held by another key) and log it. */
export function issue(home: RegistryHome, options: IssueOptions): { bundle: Uint8Array; attestation: Attestation } {
  const now = options.now ?? Date.now()
  const problem = businessNameProblem(options.name)
  if (problem !== undefined)
    throw new IssuanceRefusedError(`refusing the name ${JSON.stringify(options.name)}: ${problem}`, 'name')
  const clash = home.state.issued.find(
    (i) => i.subject !== options.subject && i.revokedAt === undefined && confusable(i.name, options.name)
  )
  if (clash !== undefined) {
    throw new IssuanceRefusedError(
      `refusing ${JSON.stringify(options.name)}: it is confusable with ${JSON.stringify(clash.name)}, issued to another key`,
      'confusable'
    )
  }
  const issuer = keysOf(home.state, 'issuer')[0]
  if (issuer === undefined) throw new ConfigError('this registry has no issuing key')
  const result = issueAttestation({
    registryId: home.registryId,
    rootVersion: home.latest.rootVersion,
    issuer,
    subject: options.subject,
    name: options.name,
    logIndex: home.state.log.length,
    now,
    ...(options.days !== undefined ? { days: options.days } : {}),
    ...(options.domain !== undefined ? { domain: options.domain } : {}),
    ...(options.country !== undefined ? { country: options.country } : {}),
    ...(options.category !== undefined ? { category: options.category } : {})
  })
  const a = result.attestation
  home.state.issued.push({
    serial: a.serial,
    subject: options.subject,
    name: a.name,
    skeleton: a.skeleton,
    issuedAt: a.issuedAt,
    expiresAt: a.expiresAt
  })
  home.state.log.push({ kind: 'issue', at: now, data: decodePayload(result.bundle) })
  home.save()
  return result
}

/** The log records exactly the signed attestation bytes. */
function decodePayload(bundle: Uint8Array): Uint8Array {
  return AttestationBundle.decode(bundle).payload
}

/** Revoke by serial (hex); logged. The next status list names it. */
export function revoke(
  home: RegistryHome,
  serialHex: string,
  now = Date.now()
): { serial: string; name: string; subject: string } {
  if (!/^[0-9a-fA-F]{32}$/.test(serialHex)) throw new ConfigError('a serial is 32 hex characters')
  const serial = Buffer.from(serialHex, 'hex')
  const entry = home.state.issued.find((i) => Buffer.compare(i.serial, serial) === 0)
  if (entry === undefined) throw new ConfigError(`this registry never issued serial ${serialHex.toLowerCase()}`)
  if (entry.revokedAt === undefined) {
    entry.revokedAt = now
    home.state.log.push({ kind: 'revoke', at: now, data: Uint8Array.from(serial) })
    home.save()
  }
  return { serial: serialHex.toLowerCase(), name: entry.name, subject: entry.subject }
}

/** A signed status list (as a self-validating status record), with the next sequence number. */
export function makeStatus(
  home: RegistryHome,
  options: { now?: number; validMs?: number } = {}
): { record: Uint8Array; seq: number; nextUpdate: number; revoked: number } {
  const now = options.now ?? Date.now()
  const validMs = options.validMs ?? 24 * 60 * 60 * 1000
  if (validMs < 1 || validMs > MAX_STATUS_LIFETIME_MS)
    throw new ConfigError('a status list is valid for at most 48 hours')
  const key = keysOf(home.state, 'status')[0]
  if (key === undefined) throw new ConfigError('this registry has no status key')
  const seq = home.state.statusSeq + 1
  const revoked = home.state.issued.filter((i) => i.revokedAt !== undefined && i.expiresAt > now).map((i) => i.serial)
  const signed = signStatusList(
    {
      registryId: home.registryId,
      seq,
      issuedAt: now,
      nextUpdate: now + validMs,
      revoked,
      logSize: home.state.log.length
    },
    key
  )
  home.state.statusSeq = seq
  home.save()
  return {
    record: createStatusRecord(home.state.chain, signed),
    seq,
    nextUpdate: now + validMs,
    revoked: revoked.length
  }
}

/**
 * Root version N+1: new root keys (and, if asked, new issuing/status keys), signed by a threshold
 * of the old root keys AND of the new ones, so nodes can follow from N to N+1.
 */
export function rotate(
  home: RegistryHome,
  options: { issuer?: boolean; status?: boolean; now?: number } = {}
): { rootVersion: number } {
  const now = options.now ?? Date.now()
  const engine = getEngine()
  const oldRoot = keysOf(home.state, 'root')
  const retire = (role: 'root' | 'issuer' | 'status'): void => {
    for (const k of home.state.keys) if (k.role === role) k.role = 'retired'
  }
  retire('root')
  const fresh = [0, 1, 2].map(() => engine.randomBytes(32))
  home.state.keys.push(...fresh.map((seed) => ({ role: 'root' as const, seed, createdAt: now })))
  if (options.issuer === true) {
    retire('issuer')
    home.state.keys.push({ role: 'issuer', seed: engine.randomBytes(32), createdAt: now })
  }
  if (options.status === true) {
    retire('status')
    home.state.keys.push({ role: 'status', seed: engine.randomBytes(32), createdAt: now })
  }
  const newRoot = keysOf(home.state, 'root')
  const meta = rootMetadata(
    home.state.name,
    home.latest.rootVersion + 1,
    now,
    newRoot,
    keysOf(home.state, 'issuer'),
    keysOf(home.state, 'status')
  )
  const signed = signRoot(meta, [...oldRoot, ...newRoot])
  const roots = RootChain.decode(home.state.chain).roots
  home.state.chain = encodeRootChain([...roots, signed])
  home.state.log.push({ kind: 'root', at: now, data: signed })
  // refuse to write anything the nodes would refuse
  verifyRootChain(home.state.chain, { expectedRegistryId: home.registryId })
  SignedRoot.decode(signed)
  home.save()
  return { rootVersion: meta.rootVersion }
}

/** Size and head (RFC 6962 tree hash, hex) of the registry's log. */
export function logHead(home: RegistryHome): { size: number; head: string } {
  const leaves = home.state.log.map((e) => leafHash(LogEntry.encode(e)))
  return { size: leaves.length, head: Buffer.from(treeHead(leaves)).toString('hex') }
}
