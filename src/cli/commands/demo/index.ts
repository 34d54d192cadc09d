import { Command } from 'commander'
import { type CliContext, withJson } from '../../context.ts'

/** `parley demo`: the first thing to run: real nodes on loopback, a transcript with timings. */
export function registerDemo(program: Command, ctx: CliContext): void {
  const command = new Command('demo')
    .description('run a few real nodes on loopback: they find each other in the DHT and chat (with an offline peer)')
    .option('--keep', 'keep the temporary homes')
  withJson(command).action(async (options: { keep?: boolean; json?: boolean }) => {
    const lines: string[] = []
    const { runDemo } = await import('./run.ts')
    const result = await runDemo({
      ...(options.keep === true ? { keep: true } : {}),
      print: (line) => {
        if (options.json === true) lines.push(line)
        else ctx.io.stdout(`${line}\n`)
      }
    })
    if (options.json === true) ctx.io.stdout(`${JSON.stringify({ ...result, transcript: lines }, null, 2)}\n`)
    if (!result.ok) throw new Error('the demo did not complete as expected')
  })
  program.addCommand(command)
}
