import { closeSync, existsSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { DaemonRunningError } from '../errors.ts'
import { PRIVATE_FILE_MODE } from '../identity/index.ts'

/** `<home>/daemon.lock`: the pid of the daemon running on a home. Light: no libp2p, for every command. */
const LOCK_FILE = 'daemon.lock'

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Take `<home>/daemon.lock` (O_EXCL), replacing a lock whose process is gone. */
export function acquireLock(home: string): () => void {
  const path = join(home, LOCK_FILE)
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', PRIVATE_FILE_MODE)
      writeSync(fd, `${process.pid}\n`)
      closeSync(fd)
      return () => rmSync(path, { force: true })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const pid = Number.parseInt(readFileSync(path, 'utf8'), 10)
      if (Number.isInteger(pid) && pid > 0 && pidAlive(pid) && pid !== process.pid) {
        throw new DaemonRunningError(`a Parley daemon (pid ${pid}) is already running on ${home}`)
      }
      rmSync(path, { force: true })
    }
  }
  throw new DaemonRunningError(`cannot lock ${home}`)
}

/** True if a daemon seems to run on this home (a live pid in the lock file). */
export function daemonRunning(home: string): boolean {
  const path = join(home, LOCK_FILE)
  if (!existsSync(path)) return false
  const pid = Number.parseInt(readFileSync(path, 'utf8'), 10)
  return Number.isInteger(pid) && pid > 0 && pidAlive(pid)
}
