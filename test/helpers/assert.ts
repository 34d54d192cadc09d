/** Assertions shared by the tests. */
import { fail, ok, strictEqual } from 'node:assert/strict'
import type { Parameters as FcParameters } from 'fast-check'
import { ParleyError } from '../../src/errors.ts'
import { toHex } from './bytes.ts'

/** Byte equality that ignores Buffer vs Uint8Array (cborg hands out Buffers on Node). */
export function assertBytes(actual: Uint8Array, expected: Uint8Array, message?: string): void {
  ok(actual instanceof Uint8Array, `${message ?? 'value'}: expected bytes`)
  strictEqual(toHex(actual), toHex(expected), message)
}

/** The error thrown by fn (or by the promise it returns). Fails if nothing is thrown. */
export async function caught(fn: () => unknown): Promise<unknown> {
  try {
    await fn()
  } catch (err) {
    return err
  }
  return fail('expected an error, got none')
}

export function caughtSync(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  return fail('expected an error, got none')
}

/** Assert a typed Parley error with this name (and, optionally, a message matching a pattern). */
export function assertParleyError(err: unknown, name: string, message?: RegExp): asserts err is ParleyError {
  ok(err instanceof ParleyError, `expected a ParleyError (${name}), got ${String((err as Error)?.stack ?? err)}`)
  strictEqual(err.name, name, `expected ${name}, got ${err.name}: ${err.message}`)
  if (message !== undefined) ok(message.test(err.message), `message ${JSON.stringify(err.message)} !~ ${message}`)
}

export function throwsParley(fn: () => unknown, name: string, message?: RegExp): ParleyError {
  const err = caughtSync(fn)
  assertParleyError(err, name, message)
  return err
}

export async function rejectsParley(fn: () => unknown, name: string, message?: RegExp): Promise<ParleyError> {
  const err = await caught(fn)
  assertParleyError(err, name, message)
  return err
}

/**
 * fast-check parameters: the given number of runs; FC_SEED (and FC_PATH) in the environment replay
 * a failure that fast-check reported (it prints the seed and path of every counterexample).
 */
export function fcParams<T>(numRuns: number): FcParameters<T> {
  const params: FcParameters<T> = { numRuns }
  if (process.env.FC_SEED !== undefined) params.seed = Number(process.env.FC_SEED)
  if (process.env.FC_PATH !== undefined) params.path = process.env.FC_PATH
  return params
}
