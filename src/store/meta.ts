/** Small key/value node state (a schedule marker, the last published profile seq…). */
import { MAX_META_KEY_LENGTH, MAX_META_VALUE_BYTES } from '../constants.ts'
import { StoreInputError } from '../errors.ts'
import { checkString } from './check.ts'
import type { StoreContext } from './context.ts'

function checkKey(key: unknown): string {
  const k = checkString(key, 'key', MAX_META_KEY_LENGTH * 4)
  if (k.length === 0 || k.length > MAX_META_KEY_LENGTH) {
    throw new StoreInputError(`a meta key is 1 to ${MAX_META_KEY_LENGTH} characters`, 'key')
  }
  return k
}

export function createMeta(ctx: StoreContext) {
  const { db } = ctx
  const getOne = db.prepare('SELECT value FROM meta WHERE key = ?')
  const upsert = db.prepare(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'
  )
  const deleteOne = db.prepare('DELETE FROM meta WHERE key = ?')
  // keys sort as text, so every key with the prefix lies in [prefix, prefix + U+FFFF)
  const byPrefix = db.prepare('SELECT key, value FROM meta WHERE key >= ? AND key < ? ORDER BY key LIMIT ?')

  return {
    getMeta(key: string): string | undefined {
      const k = checkKey(key)
      return ctx.read(() => getOne.get(k)?.value as string | undefined)
    },

    setMeta(key: string, value: string): void {
      const k = checkKey(key)
      const v = checkString(value, 'value', MAX_META_VALUE_BYTES)
      ctx.write(() => upsert.run(k, v))
    },

    /** Entries whose key starts with `prefix` (at most `limit`, default 10,000), in key order. */
    metaWithPrefix(prefix: string, limit = 10_000): Array<{ key: string; value: string }> {
      const p = checkKey(prefix)
      const n = Math.max(1, Math.min(100_000, Math.trunc(limit)))
      return ctx.read(() =>
        byPrefix.all(p, `${p}\uffff`, n).map((r) => ({ key: String(r.key), value: String(r.value) }))
      )
    },

    deleteMeta(key: string): boolean {
      const k = checkKey(key)
      return ctx.write(() => deleteOne.run(k).changes > 0)
    }
  }
}

export type Meta = ReturnType<typeof createMeta>
