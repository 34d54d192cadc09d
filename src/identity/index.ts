/** The node's identity: keys, the key file on disk, the home folder, PeerIds and safety numbers. */
export type { EncryptionKeyPair, PublicEncryptionKey } from './encryption-key.ts'
export {
  EncryptionKeyStatement,
  encryptionKeyId,
  makeEncryptionKeyPair,
  SignedEncryptionKey,
  verifySignedEncryptionKey
} from './encryption-key.ts'
export { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, readFileCapped, writePrivateFileAtomic } from './files.ts'
export type { InitHomeOptions, NodeConfig } from './home.ts'
export {
  checkDisplayName,
  ensureHome,
  initHome,
  readApiToken,
  readConfig,
  resolveHome,
  writeApiToken,
  writeConfig
} from './home.ts'
export type { Identity, IdentityInit, StoredEncryptionKey } from './identity.ts'
export { createIdentity } from './identity.ts'
export type { HomeIdentity, PassphraseSource, SaveOptions } from './keystore.ts'
export {
  isKeystoreEncrypted,
  keystorePath,
  loadIdentity,
  openHomeIdentity,
  openKeystore,
  saveIdentity,
  sealKeystore
} from './keystore.ts'
export {
  isPeerId,
  PEER_ID_BYTES,
  peerIdBytesFromPublicKey,
  peerIdFromBytes,
  peerIdFromPublicKey,
  peerIdToBytes,
  publicKeyFromPeerId,
  publicKeyFromPeerIdBytes
} from './peer-id.ts'
export { displayableFingerprint, formatSafetyNumber, safetyNumber } from './safety-number.ts'
