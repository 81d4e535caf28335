// boot/oidc.ts: private_key_jwt's key file becomes a signing key with its kid;
// a file that is not a usable private key stops the start, saying which key.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/load.ts';
import { loadOidcSecrets } from '../../../server/boot/oidc.ts';
import { StartupError } from '../../../server/boot/startup-error.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'oidc-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = { PUBLIC_URL: 'https://video.example.nhs.uk', OIDC_ISSUER: 'https://idp.example.nhs.uk/realms/x', OIDC_CLIENT_ID: 'consultroom' };
const keyFile = (name: string, pem: string) => {
  const f = path.join(dir, name);
  writeFileSync(f, pem);
  return f;
};

describe('loadOidcSecrets', () => {
  it('is null without an oidc section, and the configured secret for client_secret_*', async () => {
    expect(await loadOidcSecrets(loadConfig({ PUBLIC_URL: base.PUBLIC_URL }))).toBeNull();
    expect(await loadOidcSecrets(loadConfig({ ...base, OIDC_CLIENT_SECRET: 's3cret' }))).toEqual({ clientSecret: 's3cret' });
  });

  it.each([
    ['RSA', () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, 'RSASSA-PKCS1-v1_5'],
    ['P-256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'ECDSA'],
    ['Ed25519', () => generateKeyPairSync('ed25519').privateKey, 'Ed25519'],
  ])('loads an %s PKCS#8 key for private_key_jwt, with its kid, able to sign', async (name, make, algorithm) => {
    const pem = make().export({ type: 'pkcs8', format: 'pem' }).toString();
    const config = loadConfig({ ...base, OIDC_CLIENT_AUTH: 'private_key_jwt', OIDC_CLIENT_KEY_FILE: keyFile(`${name}.pem`, pem), OIDC_CLIENT_KEY_ID: 'kid-1' });
    const secrets = await loadOidcSecrets(config);
    expect(secrets?.clientKey?.kid).toBe('kid-1');
    const key = secrets!.clientKey!.key;
    expect(key.algorithm.name).toBe(algorithm);
    expect(key.usages).toEqual(['sign']);
    expect(key.extractable).toBe(false);
  });

  it('refuses a file that is not a private key, and a curve openid-client cannot sign with here', async () => {
    const bad = loadConfig({ ...base, OIDC_CLIENT_AUTH: 'private_key_jwt', OIDC_CLIENT_KEY_FILE: keyFile('bad.pem', 'not a key'), OIDC_CLIENT_KEY_ID: 'k' });
    await expect(loadOidcSecrets(bad)).rejects.toBeInstanceOf(StartupError);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const curve = loadConfig({ ...base, OIDC_CLIENT_AUTH: 'private_key_jwt', OIDC_CLIENT_KEY_FILE: keyFile('p384.pem', p384), OIDC_CLIENT_KEY_ID: 'k' });
    await expect(loadOidcSecrets(curve)).rejects.toThrow(/RSA, P-256 or Ed25519/);
  });
});
