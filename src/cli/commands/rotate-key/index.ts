import { Command } from 'commander'
import { DEFAULT_KEY_GRACE_MS, MAX_ENCRYPTION_KEYS } from '../../../constants.ts'
import { UsageError } from '../../../errors.ts'
import { openHomeIdentity } from '../../../identity/index.ts'
import { type CliContext, withHome, withJson } from '../../context.ts'
import { daemonRunning } from '../../daemon-lock.ts'

/** `parley rotate-key`: a new encryption key; old ones keep opening mail for the grace period. */
export function registerRotateKey(program: Command, ctx: CliContext): void {
  const command = new Command('rotate-key').description(
    `make a new encryption key; retired keys still open mail for ${DEFAULT_KEY_GRACE_MS / 86_400_000} days`
  )
  withJson(withHome(command)).action(async (options: { home?: string; json?: boolean }) => {
    const home = ctx.home(options)
    if (daemonRunning(home)) {
      // the running node holds the keys: it rotates, saves and republishes
      const r = await ctx
        .api(options)
        .request<{ encryptionKey: { id: string; createdAt: string } }>('POST', '/v1/keys/rotate')
      ctx.print(options, r, () => `new encryption key ${r.encryptionKey.id} (profile republished)`)
      return
    }
    const opened = await openHomeIdentity(home, () => ctx.passphrase())
    const purged = opened.identity.purgeRetiredKeys()
    if (opened.identity.encryptionKeys.length >= MAX_ENCRYPTION_KEYS) {
      throw new UsageError(
        `${opened.identity.encryptionKeys.length} encryption keys are still within their grace period; rotate again once the oldest expires`
      )
    }
    const fresh = opened.identity.rotateEncryptionKey()
    await opened.save()
    const data = {
      encryptionKey: { id: Buffer.from(fresh.id).toString('hex'), createdAt: new Date(fresh.createdAt).toISOString() },
      retained: opened.identity.encryptionKeys.length - 1,
      purged
    }
    ctx.print(
      options,
      data,
      () => `new encryption key ${data.encryptionKey.id} (${data.retained} older kept, ${purged} purged)`
    )
  })
  program.addCommand(command)
}
