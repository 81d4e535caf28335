// The certificate and key, when the server terminates TLS itself (server.tls).
import { readFileSync } from 'node:fs';
import type { Config } from '../../config/schema.ts';
import { StartupError } from './startup-error.ts';

export interface TlsFiles {
  key: Buffer;
  cert: Buffer;
}

export function readTls(config: Config): TlsFiles | undefined {
  const t = config.server.tls;
  if (!t) return undefined;
  try {
    return { key: readFileSync(t.keyFile), cert: readFileSync(t.certFile) };
  } catch (e) {
    throw new StartupError(`the TLS certificate or key could not be read (${(e as NodeJS.ErrnoException).code ?? 'error'}).`, { cause: e });
  }
}
