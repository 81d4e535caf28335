// Sign-in secrets from config: the client secret (config/load.ts already read
// OIDC_CLIENT_SECRET_FILE), or for private_key_jwt the PEM (PKCS#8) private
// key in oidc.clientKeyFile, imported as a WebCrypto signing key with its kid.
// RSA keys sign RS256, P-256 keys ES256, Ed25519 keys EdDSA.
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Config } from '../../config/schema.ts';
import type { OidcSecrets } from '../integrations/oidc/client.ts';
import { StartupError } from './startup-error.ts';

type KeyAlgorithm = Parameters<typeof globalThis.crypto.subtle.importKey>[2];

function algorithmFor(type: string | undefined, curve: string | undefined): KeyAlgorithm {
  if (type === 'rsa') return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  if (type === 'ec' && curve === 'prime256v1') return { name: 'ECDSA', namedCurve: 'P-256' };
  if (type === 'ed25519') return { name: 'Ed25519' };
  throw new StartupError(`oidc.clientKeyFile: an RSA, P-256 or Ed25519 private key is needed (this one is ${type ?? 'unknown'}${curve ? ` ${curve}` : ''}).`);
}

export async function loadOidcSecrets(config: Config): Promise<OidcSecrets | null> {
  const cfg = config.oidc;
  if (!cfg) return null;
  if (cfg.clientAuth !== 'private_key_jwt') return { clientSecret: cfg.clientSecret };
  const file = cfg.clientKeyFile;
  const kid = cfg.clientKeyId;
  if (!file || !kid) throw new StartupError('oidc.clientAuth is private_key_jwt: set oidc.clientKeyFile and oidc.clientKeyId (OIDC_CLIENT_KEY_FILE, OIDC_CLIENT_KEY_ID).');
  let der: Buffer;
  let algorithm: KeyAlgorithm;
  try {
    const key = createPrivateKey(readFileSync(file));
    algorithm = algorithmFor(key.asymmetricKeyType, key.asymmetricKeyDetails?.namedCurve);
    der = key.export({ type: 'pkcs8', format: 'der' });
  } catch (e) {
    if (e instanceof StartupError) throw e;
    throw new StartupError(`oidc.clientKeyFile (${file}) could not be read as a PEM private key: ${(e as Error).message}`, { cause: e });
  }
  // The global WebCrypto (the type openid-client's PrivateKeyJwt takes).
  const key = await globalThis.crypto.subtle.importKey('pkcs8', new Uint8Array(der), algorithm, false, ['sign']);
  return { clientKey: { key, kid } };
}
