// AES-256-GCM for files at rest: a fresh 96-bit nonce per file, the file's
// identity as associated data (so a blob moved to another file's name, or to
// another consultation, fails to open), and the 128-bit tag checked on open.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppError } from '../../core/errors.ts';

const NONCE = 12;
const TAG = 16;
export const KEY_BYTES = 32;

/** A new consultation key. */
export const newKey = (): Buffer => randomBytes(KEY_BYTES);

/** nonce | tag | ciphertext */
export function seal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, cipher.getAuthTag(), body]);
}

/** The plaintext; throws NOT_FOUND when the blob is not this file's under this key (tampered, moved, or the key is another's). */
export function open(key: Buffer, sealed: Buffer, aad: string): Buffer {
  if (sealed.length < NONCE + TAG) throw new AppError('NOT_FOUND', 'That file is not available.');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(sealed.subarray(NONCE, NONCE + TAG));
    return Buffer.concat([decipher.update(sealed.subarray(NONCE + TAG)), decipher.final()]);
  } catch (e) {
    throw new AppError('NOT_FOUND', 'That file is not available.', { cause: e });
  }
}
