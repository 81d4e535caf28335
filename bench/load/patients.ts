// A load-generator child process: simulated patients following the real
// protocol. Ours: POST /api/v1/session with the link's token (keeping the
// cookies it sets), then a socket.io connection (websocket, as the page does)
// with those cookies and the page's Origin, joined when consultation:state says
// 'waiting'. Bare: the socket.io connection with an id, joined when the server
// acknowledges its one Redis write. Driven by the parent over IPC.
import http from 'node:http';
import { io, type Socket } from 'socket.io-client';

export interface RunOrder {
  type: 'run';
  target: 'ours' | 'bare';
  base: string;
  /** Tokens (ours) or ids (bare), with their global arrival index. */
  patients: { index: number; key: string }[];
  mode: 'rate' | 'burst';
  /** Total arrivals per second across all children (rate mode). */
  ratePerSec: number;
  startAt: number;
  timeoutMs: number;
}

export interface PatientResult {
  index: number;
  redeemMs: number | null;
  joinMs: number | null;
  error: string | null;
  lateMs: number;
  /** From the scheduled arrival to 'waiting': what the patient waits (redeem included). */
  arrivalMs: number | null;
  /** Size of the waiting view as JSON (what consultation:state carried). */
  viewBytes: number | null;
}

export interface RunReport {
  type: 'done';
  results: PatientResult[];
  connected: number;
}

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36 consultroom-bench';
const sockets: Socket[] = [];
let dropped = 0;
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function redeem(base: string, token: string): Promise<string> {
  const url = new URL('/api/v1/session', base);
  const body = JSON.stringify({ token });
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': UA, origin: url.origin },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`redeem HTTP ${res.statusCode}`));
          const cookies = (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!).join('; ');
          resolve(cookies);
        });
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('redeem timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

function join(o: RunOrder, key: string, cookie: string): Promise<number> {
  const s = io(o.base, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: o.timeoutMs,
    extraHeaders: { origin: new URL(o.base).origin, 'user-agent': UA, ...(cookie ? { cookie } : {}) },
    ...(o.target === 'bare' ? { auth: { id: key } } : {}),
  });
  sockets.push(s);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no waiting state in time')), o.timeoutMs);
    s.once('connect_error', (e: Error & { data?: { code?: string } }) => {
      clearTimeout(timer);
      reject(new Error(`connect_error ${e.data?.code ?? e.message}`));
    });
    s.on('consultation:state', (v: { self?: { state?: string } }) => {
      if (v.self?.state !== 'waiting') return;
      clearTimeout(timer);
      resolve(JSON.stringify(v).length);
    });
    s.once('disconnect', (reason) => {
      if (reason !== 'io client disconnect') dropped++;
    });
  });
}

async function patient(o: RunOrder, p: { index: number; key: string }, due: number): Promise<PatientResult> {
  const lateMs = Date.now() - due;
  let redeemMs: number | null = null;
  let cookie = '';
  try {
    if (o.target === 'ours') {
      const t0 = performance.now();
      cookie = await redeem(o.base, p.key);
      redeemMs = performance.now() - t0;
    }
    const t1 = performance.now();
    const viewBytes = await join(o, p.key, cookie);
    return { index: p.index, redeemMs, joinMs: performance.now() - t1, error: null, lateMs, arrivalMs: Date.now() - due, viewBytes };
  } catch (e) {
    return { index: p.index, redeemMs, joinMs: null, error: (e as Error).message, lateMs, arrivalMs: null, viewBytes: null };
  }
}

async function run(o: RunOrder): Promise<RunReport> {
  dropped = 0;
  const due = (i: number) => (o.mode === 'burst' ? o.startAt : o.startAt + (i * 1000) / o.ratePerSec);
  const pending: Promise<PatientResult>[] = [];
  let next = 0;
  while (next < o.patients.length) {
    const now = Date.now();
    while (next < o.patients.length && due(o.patients[next]!.index) <= now) {
      const p = o.patients[next++]!;
      pending.push(patient(o, p, due(p.index)));
    }
    if (next < o.patients.length) await new Promise((r) => setTimeout(r, Math.max(0, Math.min(5, due(o.patients[next]!.index) - Date.now()))));
  }
  const results = await Promise.all(pending);
  return { type: 'done', results, connected: sockets.filter((s) => s.connected).length };
}

process.on('message', (m: RunOrder | { type: 'close' } | { type: 'count' }) => {
  if (m.type === 'run') {
    void run(m).then((r) => process.send?.(r));
  } else if (m.type === 'count') {
    process.send?.({ type: 'count', connected: sockets.filter((s) => s.connected).length, dropped });
  } else if (m.type === 'close') {
    for (const s of sockets.splice(0)) s.close();
    process.send?.({ type: 'closed' });
  }
});
process.send?.({ type: 'ready' });
