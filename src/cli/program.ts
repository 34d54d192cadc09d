import { Command, CommanderError } from 'commander'
import { ParleyError, UsageError } from '../errors.ts'
import { registerBusiness } from './commands/business/index.ts'
import { registerContacts } from './commands/contacts/index.ts'
import { registerDemo } from './commands/demo/index.ts'
import { registerId } from './commands/id/index.ts'
import { registerInbox } from './commands/inbox/index.ts'
import { registerInit } from './commands/init/index.ts'
import { registerPeers } from './commands/peers/index.ts'
import { registerRegistry } from './commands/registry/index.ts'
import { registerResolve } from './commands/resolve/index.ts'
import { registerRotateKey } from './commands/rotate-key/index.ts'
import { registerSafetyNumber } from './commands/safety-number/index.ts'
import { registerSend } from './commands/send/index.ts'
import { registerSim } from './commands/sim/index.ts'
import { registerStart } from './commands/start/index.ts'
import { registerTrust } from './commands/trust/index.ts'
import { registerVerify } from './commands/verify/index.ts'
import { type CliIo, createContext, type RegisterCommand } from './context.ts'

/** Every command, in the order `parley --help` lists them. */
const COMMANDS: RegisterCommand[] = [
  registerDemo,
  registerInit,
  registerStart,
  registerSend,
  registerInbox,
  registerContacts,
  registerPeers,
  registerResolve,
  registerVerify,
  registerTrust,
  registerBusiness,
  registerRegistry,
  registerSim,
  registerId,
  registerSafetyNumber,
  registerRotateKey
]

/** Exit codes: 0 done, 1 the command failed, 2 bad usage. */
export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

/** Build the `parley` command tree; tests drive it in-process with their own I/O. */
export function createProgram(io: CliIo): Command {
  const ctx = createContext(io)
  const program = new Command('parley')
    .description('Parley: a peer-to-peer messenger with sealed end-to-end envelopes and verified businesses')
    .version(PACKAGE_VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride()
  for (const register of COMMANDS) register(program, ctx)
  // subcommands inherit output and exit handling
  for (const command of program.commands) applyInherited(command, io)
  return program
}

function applyInherited(command: Command, io: CliIo): void {
  command
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
  for (const sub of command.commands) applyInherited(sub, io)
}

const PACKAGE_VERSION = '0.1.0'

/**
 * Run `parley` with these arguments (without the node and script paths). Returns the exit code;
 * errors are one line on stderr, never a stack trace (set PARLEY_DEBUG=1 for one).
 */
export async function runCli(args: string[], io: CliIo): Promise<number> {
  const program = createProgram(io)
  try {
    await program.parseAsync(args, { from: 'user' })
    return EXIT_OK
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version "errors" are a clean exit; commander already printed its message
      return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE
    }
    if (err instanceof ParleyError) {
      io.stderr(`error: ${err.message}\n`)
      return err instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE
    }
    io.stderr(`error: ${(err as Error)?.message ?? String(err)}\n`)
    if (io.env.PARLEY_DEBUG) io.stderr(`${(err as Error)?.stack ?? ''}\n`)
    return EXIT_FAILURE
  }
}
