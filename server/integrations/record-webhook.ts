// Delivery of a saved file to the trust's record system: one HTTPS (or, on a
// closed network, HTTP) POST of JSON { sidecar, content (base64) }, signed
// with HMAC-SHA256 over "<timestamp>.<body>" under a shared secret, so the
// receiver can check it came from this server, unaltered and recently:
//   X-Consultroom-Signature: t=<unix seconds>,v1=<hex>
// The URL is the trust's own endpoint; nothing else is ever contacted.
import { createHmac } from 'node:crypto';
import type { RecordSink } from '../domain/files/service.ts';
import type { RecordSidecar } from '../wire/thread.ts';

export const SIGNATURE_HEADER = 'x-consultroom-signature';

export function signature(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

export function createRecordWebhook(opts: { url: string; secret: string; timeoutSeconds: number; now?: () => number }): RecordSink {
  const now = opts.now ?? Date.now;
  return {
    async deliver(sidecar: RecordSidecar, bytes: Buffer): Promise<void> {
      const body = JSON.stringify({ sidecar, content: bytes.toString('base64') });
      const t = Math.floor(now() / 1000);
      const res = await fetch(opts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: `t=${t},v1=${signature(opts.secret, t, body)}` },
        body,
        redirect: 'error',
        signal: AbortSignal.timeout(opts.timeoutSeconds * 1000),
      });
      // Drain the body so the connection is released; its content is the receiver's business.
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) throw new Error(`record system answered ${res.status}`);
    },
  };
}
