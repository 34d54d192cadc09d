import { Command } from 'commander'
import { DEFAULT_KEY_GRACE_MS } from '../../../constants.ts'
import { openHomeIdentity } from '../../../identity/index.ts'
import { type CliContext, withHome, withJson } from '../../context.ts'

/** `parley rotate-key`: a new encryption key; old ones keep opening mail for the grace period. */
export function registerRotateKey(program: Command, ctx: CliContext): void {
  const command = new Command('rotate-key').description(
    `make a new encryption key; retired keys still open mail for ${DEFAULT_KEY_GRACE_MS / 86_400_000} days`
  )
  withJson(withHome(command)).action(async (options: { home?: string; json?: boolean }) => {
    const home = ctx.home(options)
    const opened = await openHomeIdentity(home, () => ctx.passphrase())
    const purged = opened.identity.purgeRetiredKeys()
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
