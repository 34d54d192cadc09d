import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { OversizedError } from '../errors.ts'

/** Mode of every file in a home folder: it holds keys, tokens and message history. */
export const PRIVATE_FILE_MODE = 0o600
export const PRIVATE_DIR_MODE = 0o700

/**
 * Write a file atomically with mode 0600: a temporary file in the same folder, fsync, rename over
 * the target, fsync the folder. A crash leaves either the old file or the new one, never half.
 */
export function writePrivateFileAtomic(path: string, data: Uint8Array | string): void {
  const tmp = join(dirname(path), `.${Date.now().toString(36)}-${process.pid}.tmp`)
  const fd = openSync(tmp, 'wx', PRIVATE_FILE_MODE)
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
    let at = 0
    while (at < buf.byteLength) at += writeSync(fd, buf, at, buf.byteLength - at)
    fsyncSync(fd)
  } catch (err) {
    closeSync(fd)
    rmSync(tmp, { force: true })
    throw err
  }
  closeSync(fd)
  renameSync(tmp, path)
  syncDir(dirname(path))
}

function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r')
    try {
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
  } catch {
    // some filesystems refuse fsync on a directory; the rename is still atomic
  }
}

/** Read a file, refusing one larger than `maxBytes` before reading it. */
export function readFileCapped(path: string, maxBytes: number): Buffer {
  const size = statSync(path).size
  if (size > maxBytes) throw new OversizedError(`${path} is ${size} bytes, more than the ${maxBytes}-byte cap`)
  const data = readFileSync(path)
  if (data.byteLength > maxBytes) throw new OversizedError(`${path} grew past the ${maxBytes}-byte cap`)
  return data
}
