import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError } from '../errors.ts'
import { readFileCapped, writePrivateFileAtomic } from '../identity/index.ts'
import { createTrust, type Trust, TrustFile } from '../registry/index.ts'

/** `<home>/trust.parley`: the registries this node trusts and their status lists. */
export const TRUST_FILE = 'trust.parley'
/** `<home>/attestation.parley`: this node's attestation bundle, if it is a verified business. */
export const ATTESTATION_FILE = 'attestation.parley'

/** Read a node's trust (empty if the file does not exist). */
export function readTrust(home: string): Trust {
  const path = join(home, TRUST_FILE)
  if (!existsSync(path)) return createTrust()
  try {
    return createTrust(new Uint8Array(readFileCapped(path, TrustFile.maxBytes)))
  } catch (err) {
    throw new ConfigError(`${path} is damaged: ${(err as Error).message}`)
  }
}

export function writeTrust(home: string, trust: Trust): void {
  writePrivateFileAtomic(join(home, TRUST_FILE), trust.encode())
}

export function readAttestation(home: string): Uint8Array | undefined {
  const path = join(home, ATTESTATION_FILE)
  if (!existsSync(path)) return undefined
  return new Uint8Array(readFileCapped(path, 8192))
}

export function writeAttestation(home: string, bundle: Uint8Array): void {
  writePrivateFileAtomic(join(home, ATTESTATION_FILE), bundle)
}
