/** Contacts: a name the user picked for a PeerId. Names are unique ignoring case; so are PeerIds. */
import { MAX_CONTACT_NAME_LENGTH, MAX_CONTACTS } from '../constants.ts'
import { ContactNameTakenError, ContactPeerTakenError, OversizedError, StoreInputError } from '../errors.ts'
import { isPeerId } from '../identity/index.ts'
import { checkPeerId, checkTime, listLimit } from './check.ts'
import type { StoreContext } from './context.ts'
import { toContact } from './rows.ts'
import type { Contact } from './types.ts'

/**
 * Check a contact name: trimmed and NFC-normalised, 1 to 64 characters, no control characters, and
 * not itself a PeerId (the CLI takes "a PeerId or a contact name" in the same place).
 */
export function checkContactName(name: unknown): string {
  if (typeof name !== 'string' || !name.isWellFormed()) throw new StoreInputError('a contact name is text', 'name')
  if (name.length > MAX_CONTACT_NAME_LENGTH * 4) throw new StoreInputError('contact name too long', 'name')
  const n = name.normalize('NFC').trim()
  if (n.length === 0 || n.length > MAX_CONTACT_NAME_LENGTH) {
    throw new StoreInputError(`a contact name is 1 to ${MAX_CONTACT_NAME_LENGTH} characters`, 'name')
  }
  if (/\p{Cc}/u.test(n)) throw new StoreInputError('a contact name cannot contain control characters', 'name')
  // bidi controls reorder what is shown; format characters (zero-width…) hide what is there
  if (/[\p{Cf}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u.test(n)) {
    throw new StoreInputError('a contact name cannot contain bidi controls or invisible characters', 'name')
  }
  if (isPeerId(n)) throw new StoreInputError('a contact name cannot be a PeerId', 'name')
  return n
}

/**
 * The key names are compared by: compatibility-normalised and case-folded (upper then lower, so
 * "Straße" and "STRASSE" collide), so two contacts cannot look alike by case or width alone.
 */
export function contactNameKey(name: string): string {
  return name.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFC')
}

export function createContacts(ctx: StoreContext) {
  const { db } = ctx
  const byKey = db.prepare('SELECT name, peer_id, created_at FROM contacts WHERE name_key = ?')
  const byPeer = db.prepare('SELECT name, peer_id, created_at FROM contacts WHERE peer_id = ?')
  const count = db.prepare('SELECT count(*) AS n FROM contacts')
  const insert = db.prepare('INSERT INTO contacts (name, name_key, peer_id, created_at) VALUES (?, ?, ?, ?)')
  const remove = db.prepare('DELETE FROM contacts WHERE name_key = ?')
  const list = db.prepare('SELECT name, peer_id, created_at FROM contacts ORDER BY name_key LIMIT ?')

  return {
    /** Add a contact; ContactNameTakenError or ContactPeerTakenError if either is in use. */
    addContact(name: string, peerId: string, createdAt?: number): Contact {
      const n = checkContactName(name)
      const key = contactNameKey(n)
      const p = checkPeerId(peerId, 'peerId')
      const at = checkTime(createdAt ?? ctx.now(), 'createdAt')
      return ctx.write(() => {
        const sameName = byKey.get(key)
        if (sameName !== undefined) {
          throw new ContactNameTakenError(`a contact named ${JSON.stringify(sameName.name)} exists already`, 'name')
        }
        const samePeer = byPeer.get(p)
        if (samePeer !== undefined) {
          throw new ContactPeerTakenError(`${p} is already the contact ${JSON.stringify(samePeer.name)}`, 'peerId')
        }
        if ((count.get()?.n as number) >= MAX_CONTACTS) {
          throw new OversizedError(`the contact list is full (${MAX_CONTACTS})`, 'contacts')
        }
        insert.run(n, key, p, at)
        return { name: n, peerId: p, createdAt: at }
      })
    },

    /** Remove a contact by name (any case). False if there was none. */
    removeContact(name: string): boolean {
      const key = contactNameKey(checkContactName(name))
      return ctx.write(() => remove.run(key).changes > 0)
    },

    /** Contacts in name order (case-insensitive). */
    listContacts(options: { limit?: number } = {}): Contact[] {
      const n = listLimit(options.limit, MAX_CONTACTS, MAX_CONTACTS)
      return ctx.read(() => list.all(n).map(toContact))
    },

    contactByName(name: string): Contact | undefined {
      let key: string
      try {
        key = contactNameKey(checkContactName(name))
      } catch {
        return undefined
      }
      return ctx.read(() => {
        const row = byKey.get(key)
        return row === undefined ? undefined : toContact(row)
      })
    },

    contactByPeer(peerId: string): Contact | undefined {
      const p = checkPeerId(peerId, 'peerId')
      return ctx.read(() => {
        const row = byPeer.get(p)
        return row === undefined ? undefined : toContact(row)
      })
    }
  }
}

export type Contacts = ReturnType<typeof createContacts>
