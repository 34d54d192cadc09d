/** The `parley` command: a thin client of the node's home and, for network commands, its daemon's API. */
export type { CliContext, CliIo } from './context.ts'
export { processIo } from './io.ts'
export { createProgram, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, runCli } from './program.ts'
