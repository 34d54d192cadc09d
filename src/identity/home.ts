import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import {
  API_TOKEN_FILE,
  CONFIG_FILE,
  DEFAULT_HOME_DIRNAME,
  MAX_CONFIG_BYTES,
  MAX_DISPLAY_NAME_LENGTH
} from '../constants.ts'
import { getEngine } from '../crypto/index.ts'
import { ConfigError, IdentityExistsError } from '../errors.ts'
import { PRIVATE_DIR_MODE, readFileCapped, writePrivateFileAtomic } from './files.ts'
import { createIdentity, type Identity } from './identity.ts'
import { keystorePath, saveIdentity } from './keystore.ts'

/** The node's home: `--home`, else $PARLEY_HOME, else ~/.parley. */
export function resolveHome(option?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (option !== undefined && option !== '') return resolve(option)
  const fromEnv = env.PARLEY_HOME
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv)
  return join(homedir(), DEFAULT_HOME_DIRNAME)
}

/** The node's settings, kept in `<home>/config.json`. Unknown keys are kept so newer versions can add some. */
export interface NodeConfig {
  version: 1
  /** Display name shown to others (self-declared, never a verified name). */
  name?: string
  [key: string]: unknown
}

/** Check a display name: trimmed, 1..64 characters, no control characters. Returns it NFC-normalised. */
export function checkDisplayName(name: string): string {
  const n = name.normalize('NFC').trim()
  if (n.length === 0 || n.length > MAX_DISPLAY_NAME_LENGTH) {
    throw new ConfigError(`a name is 1 to ${MAX_DISPLAY_NAME_LENGTH} characters`)
  }
  if (/\p{Cc}/u.test(n) || !n.isWellFormed()) throw new ConfigError('a name cannot contain control characters')
  return n
}

/** Read and check `<home>/config.json`. */
export function readConfig(home: string): NodeConfig {
  const path = join(home, CONFIG_FILE)
  if (!existsSync(path)) return { version: 1 }
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileCapped(path, MAX_CONFIG_BYTES).toString('utf8'))
  } catch (err) {
    throw new ConfigError(`${path} is not valid JSON (${(err as Error).message})`)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new ConfigError(`${path}: expected an object`)
  const config = parsed as Record<string, unknown>
  if (config.version !== 1) throw new ConfigError(`${path}: unsupported version ${String(config.version)}`)
  if (config.name !== undefined) {
    if (typeof config.name !== 'string') throw new ConfigError(`${path}: name must be a string`)
    config.name = checkDisplayName(config.name)
  }
  return config as NodeConfig
}

/** Write `<home>/config.json` (0600, atomically). */
export function writeConfig(home: string, config: NodeConfig): void {
  writePrivateFileAtomic(join(home, CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`)
}

/** Create the home folder with mode 0700 (and tighten it if it exists). */
export function ensureHome(home: string): void {
  mkdirSync(home, { recursive: true, mode: PRIVATE_DIR_MODE })
  if ((statSync(home).mode & 0o777) !== PRIVATE_DIR_MODE) chmodSync(home, PRIVATE_DIR_MODE)
}

export interface InitHomeOptions {
  name?: string
  /** Replace an existing identity. */
  force?: boolean
  /** Protect the key file with this passphrase. */
  passphrase?: string
  /** scrypt cost (tests lower it). */
  logN?: number
  /** Use this seed instead of a random one (simulations, test vectors). */
  seed?: Uint8Array
}

/** `parley init`: a home with an identity key, an encryption key signed by it, a config and an API token. */
export async function initHome(home: string, options: InitHomeOptions = {}): Promise<Identity> {
  if (existsSync(keystorePath(home)) && options.force !== true) {
    throw new IdentityExistsError(`${home} already holds an identity (use --force to replace it)`)
  }
  const name = options.name !== undefined ? checkDisplayName(options.name) : undefined
  ensureHome(home)
  const identity = createIdentity(options.seed !== undefined ? { seed: options.seed } : {})
  await saveIdentity(home, identity, {
    ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
    ...(options.logN !== undefined ? { logN: options.logN } : {})
  })
  const previous = existsSync(join(home, CONFIG_FILE)) ? safeReadConfig(home) : { version: 1 as const }
  const config: NodeConfig = { ...previous, version: 1 }
  if (name !== undefined) config.name = name
  writeConfig(home, config)
  writeApiToken(home)
  return identity
}

function safeReadConfig(home: string): NodeConfig {
  try {
    return readConfig(home)
  } catch {
    return { version: 1 }
  }
}

/** A fresh bearer token for the local HTTP API, in `<home>/api-token` (0600). */
export function writeApiToken(home: string): string {
  const token = Buffer.from(getEngine().randomBytes(32)).toString('base64url')
  writePrivateFileAtomic(join(home, API_TOKEN_FILE), `${token}\n`)
  return token
}

/** Read the API token of a home folder. */
export function readApiToken(home: string): string {
  return readFileCapped(join(home, API_TOKEN_FILE), 1024).toString('utf8').trim()
}
