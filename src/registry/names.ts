import unhomoglyph from 'unhomoglyph'
import { MAX_DISPLAY_NAME_LENGTH } from '../constants.ts'

/**
 * Business names: what a registry refuses to issue, and the confusable skeleton (Unicode UTS #39)
 * that both registries and clients compare. The confusables table is Unicode's confusables.txt as
 * packaged by `unhomoglyph` (the one Matrix clients use for display-name spoofing).
 */

/** Bidirectional controls (they reorder what is shown). */
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u
/** Invisible characters that make two names look the same. */
const INVISIBLE =
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: each invisible code point is matched on its own, on purpose
  /[\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200d\u2060-\u2064\u3164\ufe00-\ufe0f\ufeff\uffa0]|\p{Cf}/u
/** Check marks and look-alikes of a badge: the badge is drawn by the client, never part of a name. */
const CHECK_LIKE =
  /[\u221a\u2610-\u2612\u2705\u2713-\u2718\u237b\u26ac\u2b55\u{1f5f8}\u{1f5f9}\u{1f197}\u{1f5f3}\u{2714}\u{1f48e}\u{1f3c5}\u{1f396}\u{1f538}\u{1f539}\u{1f535}]|\u00ae|\u2122|\u24c5/u
const CONTROL = /\p{Cc}/u
/** The attestation's skeleton field holds at most this many UTF-16 code units. */
const MAX_SKELETON_LENGTH = 4 * MAX_DISPLAY_NAME_LENGTH

/** Scripts we tell apart (Script_Extensions), enough for the names a registry sees. */
const SCRIPTS = [
  'Latin',
  'Cyrillic',
  'Greek',
  'Armenian',
  'Georgian',
  'Hebrew',
  'Arabic',
  'Syriac',
  'Thaana',
  'Devanagari',
  'Bengali',
  'Gurmukhi',
  'Gujarati',
  'Oriya',
  'Tamil',
  'Telugu',
  'Kannada',
  'Malayalam',
  'Sinhala',
  'Thai',
  'Lao',
  'Tibetan',
  'Myanmar',
  'Khmer',
  'Mongolian',
  'Ethiopic',
  'Cherokee',
  'Han',
  'Hiragana',
  'Katakana',
  'Bopomofo',
  'Hangul'
] as const
const SCRIPT_RE = SCRIPTS.map((s) => [s, new RegExp(`\\p{Script_Extensions=${s}}`, 'u')] as const)
const COMMON = /[\p{Script=Common}\p{Script=Inherited}]/u

/** UTS #39 "highly restrictive": one script, or Latin with the scripts of Japanese, Chinese or Korean writing. */
const ALLOWED_COMBINATIONS: ReadonlyArray<ReadonlySet<string>> = [
  new Set(['Latin', 'Han', 'Hiragana', 'Katakana']),
  new Set(['Latin', 'Han', 'Bopomofo']),
  new Set(['Latin', 'Han', 'Hangul'])
]

/** The scripts a string is written in (Common and Inherited characters, digits and spaces count for none). */
export function scriptsOf(text: string): Set<string> {
  const found = new Set<string>()
  for (const ch of text) {
    if (COMMON.test(ch)) continue
    let matched: string[] = []
    for (const [name, re] of SCRIPT_RE) if (re.test(ch)) matched.push(name)
    if (matched.length === 0) matched = ['Other']
    // a character in several scripts (Script_Extensions) counts for the one already in use, if any
    const shared = matched.find((m) => found.has(m))
    found.add(shared ?? matched[0]!)
  }
  return found
}

/** True if the scripts of `text` satisfy UTS #39's highly restrictive level. */
export function isHighlyRestrictive(text: string): boolean {
  const scripts = scriptsOf(text)
  if (scripts.size <= 1) return true
  return ALLOWED_COMBINATIONS.some((allowed) => [...scripts].every((s) => allowed.has(s)))
}

/** Map look-alikes to their prototypes and fold case, repeatedly, until nothing changes. */
function settle(text: string): string {
  let x = text
  for (let i = 0; i < 8; i++) {
    const y = unhomoglyph(unhomoglyph(x).normalize('NFD').toLowerCase()).normalize('NFD')
    if (y === x) break
    x = y
  }
  return x
}

/**
 * The confusable skeleton an attestation records: UTS #39's (NFD, each character mapped to its
 * prototype from confusables.txt, NFD again), with case and spacing folded too, because "ACME
 * Bank" and "Acme Bank" name the same business. Mapping comes before case folding, and both are
 * repeated until nothing changes: capitals have look-alikes of their own (Cyrillic "АСМЕ",
 * capital I for l, mathematical 𝐀) that folding first would hide.
 */
export function nameSkeleton(name: string): string {
  return settle(name.normalize('NFD').replace(/\s+/gu, ' ').trim())
}

/**
 * Both skeletons of a name: mapped first (nameSkeleton), and folded to lower case first. Some
 * lower-case letters map to other prototypes than their capitals (Greek ε and Ε), so a
 * comparison that must ignore case looks at both.
 */
export function nameSkeletons(name: string): [string, string] {
  const spaced = name.normalize('NFD').replace(/\s+/gu, ' ').trim()
  return [settle(spaced), settle(spaced.toLowerCase())]
}

/** True if two names could be mistaken for each other. */
export function confusable(a: string, b: string): boolean {
  const [a1, a2] = nameSkeletons(a)
  const [b1, b2] = nameSkeletons(b)
  return a1 === b1 || a2 === b2 || a1 === b2 || a2 === b1
}

/** Why a name cannot be a verified business name, or undefined if it can. */
export function businessNameProblem(name: string): string | undefined {
  if (typeof name !== 'string' || !name.isWellFormed()) return 'not well-formed text'
  if (name !== name.normalize('NFC')) return 'not in Unicode NFC form'
  const trimmed = name.trim()
  if (trimmed.length === 0 || trimmed !== name) return 'empty, or spaces at the start or end'
  if (name.length > MAX_DISPLAY_NAME_LENGTH) return `longer than ${MAX_DISPLAY_NAME_LENGTH} characters`
  if (/\s{2,}/u.test(name)) return 'repeated spaces'
  if (CONTROL.test(name)) return 'control characters'
  if (BIDI.test(name)) return 'bidirectional control characters'
  if (INVISIBLE.test(name)) return 'zero-width or invisible characters'
  if (CHECK_LIKE.test(name)) return 'a check mark or badge-like symbol (the badge is drawn by the app)'
  if (!isHighlyRestrictive(name)) return `mixed scripts (${[...scriptsOf(name)].join(', ')})`
  // a few ligatures spell out as many letters (U+FDFA is 18): keep the skeleton within what an attestation holds
  if (nameSkeleton(name).length > MAX_SKELETON_LENGTH) return 'too long once its look-alike letters are spelled out'
  return undefined
}

/**
 * A display name made safe to show next to others: bidi and invisible characters removed, so a
 * name cannot reorder or hide parts of what is shown. (Unverified names; verified ones are clean.)
 */
export function sanitizeDisplayName(name: string): string {
  // NFC after the removals: a removed character may have kept two others from composing
  return name
    .replace(new RegExp(BIDI.source, 'gu'), '')
    .replace(new RegExp(INVISIBLE.source, 'gu'), '')
    .replace(new RegExp(CONTROL.source, 'gu'), '')
    .normalize('NFC')
    .trim()
}
