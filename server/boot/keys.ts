// The JWT key ring from the configured key files: the signing key (EC P-256)
// and older public keys still accepted for verification. Without a signing
// key file a throwaway key is made, which is only fit for a trial run.
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../core/logger.ts';
import { ephemeralSigningKey, keyRing, type KeyRing } from '../domain/access/tokens.ts';
import { StartupError } from './startup-error.ts';

function readKeys(config: Config, logger: Logger): KeyRing {
  const a = config.auth;
  const older = a.verificationKeys.map((k) => ({ kid: k.kid, publicKey: createPublicKey(readFileSync(k.publicKeyFile)) }));
  if (a.signingKeyFile) {
    const privateKey = createPrivateKey(readFileSync(a.signingKeyFile));
    if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new StartupError('auth.signingKeyFile must hold an EC P-256 private key (ES256).');
    }
    return keyRing({ kid: a.signingKeyId, privateKey }, older);
  }
  logger.warn('no JWT_SIGNING_KEY_FILE: using a throwaway signing key; links stop working when the server restarts');
  return keyRing(ephemeralSigningKey(a.signingKeyId), older);
}

/** The key ring, or a StartupError naming why the key files could not be used. */
export function loadKeys(config: Config, logger: Logger): KeyRing {
  try {
    return readKeys(config, logger);
  } catch (e) {
    if (e instanceof StartupError) throw e;
    throw new StartupError(`the JWT keys could not be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`, { cause: e });
  }
}
