/** JSON form of schema values in test/vectors: bytes as {"$hex": "..."}, everything else as is. */
import { readFileSync } from 'node:fs'
import { fromHex, toHex } from './bytes.ts'

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

export function toJson(value: unknown): Json {
  if (value instanceof Uint8Array) return { $hex: toHex(value) }
  if (Array.isArray(value)) return value.map(toJson)
  if (value !== null && typeof value === 'object') {
    const out: Record<string, Json> = {}
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJson(v)
    return out
  }
  return value as Json
}

export function fromJson(json: Json): unknown {
  if (Array.isArray(json)) return json.map(fromJson)
  if (json !== null && typeof json === 'object') {
    if (typeof json.$hex === 'string' && Object.keys(json).length === 1) return fromHex(json.$hex)
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(json)) out[k] = fromJson(v)
    return out
  }
  return json
}

export const VECTORS_DIR = new URL('../vectors/', import.meta.url)

export function loadVectors<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, VECTORS_DIR), 'utf8')) as T
}
