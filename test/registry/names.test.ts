/**
 * The name policy (what a registry refuses to issue, and what verification refuses to show) and
 * the confusable skeleton (UTS #39) that registries and clients compare, with properties checked
 * over random text, lone surrogates included.
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { MAX_DISPLAY_NAME_LENGTH } from '../../src/constants.ts'
import { IssuanceRefusedError } from '../../src/errors.ts'
import {
  businessNameProblem,
  confusable,
  isHighlyRestrictive,
  issueAttestation,
  nameSkeleton,
  sanitizeDisplayName,
  scriptsOf
} from '../../src/registry/index.ts'
import { business, key, TestRegistry } from './fixtures.ts'

/** Names a registry must refuse, with the reason it gives. */
const REFUSED_NAMES: Array<[string, string, RegExp]> = [
  ['Latin with a Cyrillic а', 'Acme B\u0430nk', /mixed scripts \(Latin, Cyrillic\)/],
  ['Latin with a Greek Α', '\u0391cme Bank', /mixed scripts/],
  ['Latin with a Cyrillic р', 'Pay\u0440al', /mixed scripts/],
  ['a zero-width space', 'Acme\u200bBank', /zero-width/],
  ['a zero-width joiner', 'Acme Ba\u200dnk', /zero-width/],
  ['a zero-width non-joiner', 'Ac\u200cme Bank', /zero-width/],
  ['a soft hyphen', 'Ac\u00adme Bank', /zero-width/],
  ['a word joiner', 'Acme\u2060 Bank', /zero-width/],
  ['a byte order mark', '\ufeffAcme Bank', /zero-width|spaces/],
  ['a right-to-left override', 'Acme \u202eknaB', /bidirectional/],
  ['a left-to-right isolate', 'Acme \u2066Bank\u2069', /bidirectional/],
  ['a right-to-left mark', 'Acme\u200f Bank', /bidirectional/],
  ['an Arabic letter mark', 'Acme\u061c Bank', /bidirectional/],
  ['a check mark ✓', 'Acme Bank \u2713', /check mark/],
  ['a heavy check mark ✔', 'Acme Bank \u2714', /check mark/],
  ['a ballot box with check ☑', '\u2611 Acme Bank', /check mark/],
  ['a white heavy check mark ✅', 'Acme Bank \u2705', /check mark/],
  ['a square root √ (a check look-alike)', 'Acme \u221a Bank', /check mark/],
  ['a registered sign ®', 'Acme Bank\u00ae', /check mark|badge/],
  ['a trade mark sign ™', 'Acme Bank\u2122', /check mark|badge/],
  ['repeated spaces', 'Acme  Bank', /repeated spaces/],
  ['a space at the end', 'Acme Bank ', /spaces at the start or end/],
  ['a space at the start', ' Acme Bank', /spaces at the start or end/],
  ['not NFC (e + combining acute)', 'Cafe\u0301 Paris', /NFC/],
  ['a tab', 'Acme\tBank', /control/],
  ['a newline', 'Acme\nBank', /control|repeated/],
  ['nothing', '', /empty/],
  ['only spaces', '   ', /empty/],
  ['65 characters', 'A'.repeat(MAX_DISPLAY_NAME_LENGTH + 1), /longer than 64/],
  ['a lone surrogate', 'Acme \ud800 Bank', /well-formed/],
  ['Japanese kana with Korean hangul', '\u30bd\u30cb\u30fc \uc0bc\uc131', /mixed scripts/],
  ['a ligature that spells out past the skeleton field', '\ufdfa'.repeat(15), /spelled out/]
]

/** Names a registry may issue. */
const ACCEPTED_NAMES = [
  'Acme Bank',
  'Café Zürich',
  "McDonald's",
  '7-Eleven',
  'Банк Москва',
  'Τράπεζα Πειραιώς',
  '東京銀行',
  'Sony ソニー',
  'Samsung 삼성',
  'A'.repeat(MAX_DISPLAY_NAME_LENGTH)
]

describe('registry names: the policy', () => {
  it('refuses bidi, zero-width, check-like and mixed-script names, repeated spaces, non-NFC text', () => {
    for (const [what, name, reason] of REFUSED_NAMES) {
      const problem = businessNameProblem(name)
      assert.ok(problem !== undefined, `${what} was accepted`)
      assert.match(problem, reason, what)
    }
  })

  it('accepts plain names in one script, and Latin with the scripts of Chinese, Japanese or Korean', () => {
    for (const name of ACCEPTED_NAMES) assert.equal(businessNameProblem(name), undefined, name)
    assert.equal(isHighlyRestrictive('Sony ソニー 東京'), true)
    assert.equal(isHighlyRestrictive('Acme Банк'), false)
    assert.deepEqual([...scriptsOf('Acme 123 - Банк')].sort(), ['Cyrillic', 'Latin'])
    assert.deepEqual([...scriptsOf('123 !?')], [])
  })

  it('the registry signs no name the policy refuses, and every name it accepts can be signed', () => {
    const reg = new TestRegistry()
    const subject = business().peerId
    for (const [what, name] of REFUSED_NAMES) {
      assert.throws(
        () => reg.issue(subject, name),
        (err: unknown) => err instanceof IssuanceRefusedError && err.detail === 'name',
        what
      )
    }
    for (const name of ACCEPTED_NAMES) assert.doesNotThrow(() => reg.issue(subject, name), name)
  })
})

describe('registry names: confusable skeletons (UTS #39)', () => {
  it('names that look alike share a skeleton: homoglyphs of one script, rn/m, case, spacing', () => {
    const pairs: Array<[string, string]> = [
      ['Acme Bank', 'Acme B\u0430nk'],
      ['Apple', '\u0410\u0440\u0440le'],
      ['Acme Bank', 'Acrne Bank'],
      ['Acme Bank', 'ACME BANK'],
      ['Acme Bank', 'acme bank'],
      ['Acme Bank', 'Acme   Bank'],
      ['Acme Bank', ' Acme Bank\t'],
      ['Acme Bank', 'Acme\u00a0Bank'],
      ['Café', 'Cafe\u0301']
    ]
    for (const [a, b] of pairs) {
      assert.equal(confusable(a, b), true, `${a} / ${b}`)
      assert.equal(nameSkeleton(a), nameSkeleton(b))
    }
  })

  it('look-alike capitals collide too: capital I for l, Cyrillic and Lisu capitals, mathematical letters', () => {
    const pairs: Array<[string, string]> = [
      ['PayPal', 'PayPaI'],
      ['ACME', '\u0410\u0421\u041c\u0415'],
      ['Acme Bank', '\ud835\udc00cme Bank'],
      ['ACME BANK', '\ua4ee\ua4da\ua4df\ua4f0 \ua4d0\ua4ee\ua4e0\ua4d7']
    ]
    for (const [a, b] of pairs) assert.ok(confusable(a, b), `${a} / ${b}`)
  })

  it('different names do not collide', () => {
    const pairs: Array<[string, string]> = [
      ['Acme Bank', 'Acme Bakery'],
      ['Acme Bank', 'Acne Bank'],
      ['Zürich', 'Zurich Insurance'],
      ['東京銀行', '大阪銀行']
    ]
    for (const [a, b] of pairs) assert.equal(confusable(a, b), false, `${a} / ${b}`)
  })

  it('the skeleton of a 64-character name fits the attestation (4 × 64), or the policy refuses the name', () => {
    for (const name of ACCEPTED_NAMES) assert.ok(nameSkeleton(name).length <= 4 * MAX_DISPLAY_NAME_LENGTH, name)
    // U+FDFA spells out as 18 letters: 14 of them fit, 15 do not
    assert.equal(businessNameProblem('\ufdfa'.repeat(14)), undefined)
    assert.ok(nameSkeleton('\ufdfa'.repeat(14)).length <= 256)
    assert.ok(nameSkeleton('\ufdfa'.repeat(15)).length > 256)
    const issued = issueAttestation({
      registryId: new TestRegistry().registryId,
      rootVersion: 1,
      issuer: key('issuer'),
      subject: business().peerId,
      name: '\ufdfa'.repeat(14)
    })
    assert.equal(issued.attestation.skeleton, nameSkeleton('\ufdfa'.repeat(14)))
  })
})

describe('registry names: display names of unverified peers', () => {
  it('sanitizing removes bidi, invisible and control characters and gives NFC', () => {
    assert.equal(sanitizeDisplayName('Acme\u200b Bank'), 'Acme Bank')
    assert.equal(sanitizeDisplayName('\u202eAcme Bank\u202c'), 'Acme Bank')
    assert.equal(sanitizeDisplayName('Acme\u0000Bank\n'), 'AcmeBank')
    assert.equal(sanitizeDisplayName('  Cafe\u0301  '), 'Café')
    // the joiner kept e and the accent apart; once it is gone they compose
    assert.equal(sanitizeDisplayName('Cafe\u200d\u0301'), 'Café')
  })
})

describe('registry names: properties over random text', () => {
  /** Any UTF-16 code units (lone surrogates too), any code points, and the characters the policy is about. */
  const char = fc.oneof(
    fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
    fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
    fc.constantFrom(
      ' ',
      '  ',
      'a',
      'A',
      'm',
      'rn',
      '\u0430',
      '\u0391',
      '\u200b',
      '\u200d',
      '\u202e',
      '\u2066',
      '\u0301',
      '\u2713',
      '\u00ae',
      '\ufdfa',
      '\t'
    )
  )
  const text = fc.array(char, { maxLength: 70 }).map((a) => a.join(''))
  const RUNS = { numRuns: 1500 }

  it('businessNameProblem never throws, and a name it accepts holds none of the refused characters', () => {
    fc.assert(
      fc.property(text, (name) => {
        const problem = businessNameProblem(name)
        if (problem !== undefined) return typeof problem === 'string' && problem.length > 0
        return (
          name.isWellFormed() &&
          name === name.normalize('NFC') &&
          name.length <= MAX_DISPLAY_NAME_LENGTH &&
          !/[\u200b-\u200f\u202a-\u202e\u2066-\u2069\u2713\u2714\u00ae\u2122\p{Cc}]|\s\s/u.test(name) &&
          isHighlyRestrictive(name)
        )
      }),
      RUNS
    )
  })

  it('every name the policy accepts can be issued (its skeleton fits the attestation)', () => {
    const reg = new TestRegistry()
    const subject = business().peerId
    // mostly one script, with the ligatures that spell out longest, so that many names pass
    const arabic = fc
      .array(fc.constantFrom('\ufdfa', '\ufdfb', '\ufdf2', '\u0628', '\u0645', ' '), { minLength: 1, maxLength: 64 })
      .map((a) => a.join(''))
    let accepted = 0
    fc.assert(
      fc.property(fc.oneof(text, arabic), (name) => {
        if (businessNameProblem(name) !== undefined) return true
        accepted++
        reg.issue(subject, name)
        return true
      }),
      { numRuns: 500 }
    )
    assert.ok(accepted > 50, `only ${accepted} names were accepted`)
  })

  it('nameSkeleton never throws, gives NFD and ignores NFC/NFD form; confusable ignores letter case', () => {
    fc.assert(
      fc.property(text, (name) => {
        const s = nameSkeleton(name)
        return (
          s === s.normalize('NFD') &&
          nameSkeleton(name.normalize('NFC')) === s &&
          nameSkeleton(name.normalize('NFD')) === s &&
          confusable(name, name.toLowerCase())
        )
      }),
      RUNS
    )
  })

  it('confusable is reflexive and symmetric, and holds across normalization forms', () => {
    fc.assert(
      fc.property(text, text, (a, b) => {
        return (
          confusable(a, a) &&
          confusable(a, b) === confusable(b, a) &&
          confusable(a, a.normalize('NFD')) &&
          confusable(a, ` ${a.normalize('NFC')} `)
        )
      }),
      RUNS
    )
  })

  it('sanitizeDisplayName leaves no bidi, invisible or control character, gives NFC, and is idempotent', () => {
    fc.assert(
      fc.property(text, (name) => {
        const s = sanitizeDisplayName(name)
        return (
          !/[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\p{Cc}\p{Cf}]/u.test(s) &&
          s === s.normalize('NFC') &&
          sanitizeDisplayName(s) === s
        )
      }),
      RUNS
    )
  })
})
