import { Command } from 'commander'
import { type CliContext, collect, withHome } from '../../context.ts'
import { surviveStrayRejections } from '../../io.ts'

interface StartOptions {
  home?: string
  listen?: string[]
  bootstrap?: string[]
  api?: string
  mdns?: boolean
  server?: boolean
}

/** `parley start`: run the node and its API in the foreground until SIGINT or SIGTERM. */
export function registerStart(program: Command, ctx: CliContext): void {
  const command = new Command('start')
    .description('run this node and its HTTP API in the foreground (stop with Ctrl-C)')
    .option('--listen <multiaddr>', 'listen address, repeatable (default: TCP and WS on all interfaces)', collect)
    .option('--bootstrap <multiaddr>', 'peer to join the network through, repeatable (/…/p2p/<PeerId>)', collect)
    .option('--api <host:port>', 'API address, loopback only', '127.0.0.1:7447')
    .option('--no-mdns', 'do not look for peers on the LAN')
    .option('--server', 'always-on node limits (more connections and streams)')
  withHome(command).action(async (options: StartOptions) => {
    const home = ctx.home(options)
    // loaded only when it runs: libp2p and fastify are most of the CLI's start-up time
    surviveStrayRejections((line) => ctx.io.stderr(line))
    const { startDaemon } = await import('../../daemon.ts')
    const daemon = await startDaemon({
      home,
      passphrase: () => ctx.passphrase(),
      ...(options.listen !== undefined ? { listen: options.listen } : {}),
      ...(options.bootstrap !== undefined ? { bootstrap: options.bootstrap } : {}),
      ...(options.api !== undefined ? { api: options.api } : {}),
      mdns: options.mdns !== false,
      server: options.server === true
    })
    const { info } = daemon
    // listen for SIGINT/SIGTERM before saying ready: a signal sent as soon as `ready` is read must
    // find the handler, not Node's default (which kills the process without a clean stop)
    const signalled = ctx.io.untilSignal()
    ctx.io.stdout(
      [`PeerId ${info.peerId}`, ...info.addresses.map((a) => `listening ${a}`), `API ${info.api}`, 'ready', ''].join(
        '\n'
      )
    )
    const signal = await signalled
    ctx.io.stdout(`${signal}: stopping\n`)
    await daemon.stop()
    ctx.io.stdout('stopped\n')
  })
  program.addCommand(command)
}
