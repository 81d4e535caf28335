// TLS terminated in the server: HTTPS with HTTP/2 (ALPN h2), HTTP/1.1 still
// served, and socket.io over wss, with a certificate made for the test.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeTcpPort } from '../support/ports.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

describe('TLS in the server', () => {
  let s: TestServer;
  let base: string;
  let ca: Buffer;
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tls-'));
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    ca = readFileSync(cert);
    const port = await freeTcpPort();
    base = `https://127.0.0.1:${port}`;
    s = await startTestServer({ PORT: String(port), PUBLIC_URL: base, TLS_CERT_FILE: cert, TLS_KEY_FILE: key });
  });
  afterAll(() => s?.stop());

  it('answers HTTP/2 over TLS', async () => {
    const client = http2.connect(base, { ca });
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = client.request({ ':path': '/healthz' });
      let body = '';
      let status = 0;
      req.on('response', (h) => (status = Number(h[':status'])));
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => resolve({ status, body }));
      req.on('error', reject);
      req.end();
    });
    client.close();
    expect(status).toBe(200);
    expect(JSON.parse(body)).toEqual({ status: 'ok' });
  });

  it('still answers HTTP/1.1 over TLS, with HSTS', async () => {
    const res = await new Promise<{ status: number; hsts: string | undefined }>((resolve, reject) => {
      https.get(`${base}/check`, { ca }, (r) => {
        r.resume();
        resolve({ status: r.statusCode ?? 0, hsts: r.headers['strict-transport-security'] });
      }).on('error', reject);
    });
    expect(res.status).toBe(200);
    expect(res.hsts).toMatch(/max-age=\d+/);
  });

  it('carries socket.io over wss', async () => {
    const socket = io(`${base}/selftest`, { transports: ['websocket'], ca: ca.toString(), extraHeaders: { origin: base }, reconnection: false, forceNew: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    expect(socket.connected).toBe(true);
    socket.close();
  });
});
