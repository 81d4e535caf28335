// pino JSON logs. Patient data never reaches them: names, tokens, cookies and
// authorization headers are redacted wherever they appear, and request URLs
// are logged without their query string (link tokens live in the fragment,
// which browsers never send, but a misconfigured client might use a query).
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'res.headers["set-cookie"]',
  'token',
  '*.token',
  'name',
  '*.name',
  'displayName',
  '*.displayName',
  'patientName',
  '*.patientName',
  'patient.name',
  '*.patient.name',
  'clinician.name',
  'cookie',
  '*.cookie',
  'apiKey',
  '*.apiKey',
  // Chat messages are patient data.
  'text',
  '*.text',
];

/** The path only: no query, no fragment, and a file URL's token (a credential while it lives) masked. */
export function stripQuery(url: string): string {
  const i = url.search(/[?#]/);
  const path = i === -1 ? url : url.slice(0, i);
  return path.replace(/^(\/api\/v1\/files\/)[^/]+/, '$1[redacted]');
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        req: (req: { id?: string; method?: string; url?: string; ip?: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url ? stripQuery(req.url) : undefined,
        }),
        err: pino.stdSerializers.err,
      },
    },
    destination,
  );
}
