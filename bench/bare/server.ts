// The floor under admit-to-first-frame: bare mediasoup behind a tiny
// node:http + socket.io server. One worker with one WebRtcServer (as ours
// has), one plain Router per room with our codecs, WebRtcTransports with our
// options; no store, no auth, no admission checks. The page (client.ts,
// bundled here with esbuild at start) is served from /?role=c|p&room=ID.
// Usage: node bench/bare/server.ts HTTP_PORT MEDIA_PORT
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { Server, type Socket } from 'socket.io';
import { MEDIA_CODECS } from '../../server/media/codecs.ts';

const [httpPort, mediaPort] = process.argv.slice(2).map(Number) as [number, number];
const here = path.dirname(fileURLToPath(import.meta.url));

const bundle = await esbuild.build({
  entryPoints: [path.join(here, 'client.ts')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome100'],
  minify: true,
  write: false,
  logLevel: 'warning',
});
const clientJs = bundle.outputFiles[0]!.contents;
const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bare mediasoup</title></head>
<body><main><p id="status" role="status"></p><div id="app"></div></main><script type="module" src="/client.js"></script></body></html>`;

const worker = await mediasoup.createWorker({
  logLevel: 'warn',
  ...(process.env.MEDIASOUP_WORKER_BIN ? { workerBin: process.env.MEDIASOUP_WORKER_BIN } : {}),
});
const webRtcServer = await worker.createWebRtcServer({
  listenInfos: [
    { protocol: 'udp', ip: '127.0.0.1', port: mediaPort },
    { protocol: 'tcp', ip: '127.0.0.1', port: mediaPort },
  ],
});

interface PeerState {
  room: string;
  transports: Map<string, types.WebRtcTransport>;
  producers: Map<string, types.Producer>;
  consumers: Map<string, types.Consumer>;
}
const rooms = new Map<string, { router: Promise<types.Router>; peers: Set<Socket> }>();
const peers = new Map<Socket, PeerState>();

const httpServer = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/readyz') return void res.writeHead(200).end();
  if (url.pathname === '/') return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
  if (url.pathname === '/client.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(clientJs);
  res.writeHead(404).end();
});
const io = new Server(httpServer, { serveClient: false });

type Ack = (r: { ok: true; data: unknown } | { ok: false; error: string }) => void;

function on(socket: Socket, name: string, fn: (p: Record<string, unknown>, me: PeerState) => Promise<unknown>): void {
  socket.on(name, (payload: Record<string, unknown>, ack: Ack) => {
    const me = peers.get(socket);
    if (!me && name !== 'join') return ack({ ok: false, error: 'not joined' });
    fn(payload, me!).then(
      (data) => ack({ ok: true, data }),
      (e: unknown) => ack({ ok: false, error: (e as Error).message }),
    );
  });
}

const routerOf = (me: PeerState) => rooms.get(me.room)!.router;
const others = (me: PeerState, socket: Socket) => [...rooms.get(me.room)!.peers].filter((s) => s !== socket);

io.on('connection', (socket) => {
  on(socket, 'join', async ({ room }) => {
    const id = String(room);
    let r = rooms.get(id);
    if (!r) rooms.set(id, (r = { router: worker.createRouter({ mediaCodecs: MEDIA_CODECS }), peers: new Set() }));
    r.peers.add(socket);
    peers.set(socket, { room: id, transports: new Map(), producers: new Map(), consumers: new Map() });
    await r.router;
    return {};
  });
  on(socket, 'caps', async (_p, me) => (await routerOf(me)).rtpCapabilities);
  on(socket, 'createTransport', async (_p, me) => {
    const t = await (await routerOf(me)).createWebRtcTransport({
      webRtcServer,
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      initialAvailableOutgoingBitrate: 600_000,
    });
    me.transports.set(t.id, t);
    return { id: t.id, iceParameters: t.iceParameters, iceCandidates: t.iceCandidates, dtlsParameters: t.dtlsParameters };
  });
  on(socket, 'connectTransport', async ({ transportId, dtlsParameters }, me) => {
    await me.transports.get(String(transportId))!.connect({ dtlsParameters: dtlsParameters as types.DtlsParameters });
    return {};
  });
  on(socket, 'produce', async ({ transportId, kind, rtpParameters }, me) => {
    const p = await me.transports.get(String(transportId))!.produce({ kind: kind as types.MediaKind, rtpParameters: rtpParameters as types.RtpParameters });
    me.producers.set(p.id, p);
    for (const s of others(me, socket)) s.emit('newProducer', { producerId: p.id });
    return { id: p.id };
  });
  on(socket, 'producers', async (_p, me) => others(me, socket).flatMap((s) => [...(peers.get(s)?.producers.keys() ?? [])]));
  on(socket, 'consume', async ({ transportId, producerId, rtpCapabilities }, me) => {
    const c = await me.transports.get(String(transportId))!.consume({
      producerId: String(producerId),
      rtpCapabilities: rtpCapabilities as types.RtpCapabilities,
      paused: true,
    });
    me.consumers.set(c.id, c);
    return { id: c.id, producerId: c.producerId, kind: c.kind, rtpParameters: c.rtpParameters };
  });
  on(socket, 'resume', async ({ consumerId }, me) => {
    await me.consumers.get(String(consumerId))!.resume();
    return {};
  });
  on(socket, 'admit', async (_p, me) => {
    for (const s of others(me, socket)) s.emit('admitted');
    return {};
  });
  socket.on('disconnect', () => {
    const me = peers.get(socket);
    peers.delete(socket);
    if (!me) return;
    for (const t of me.transports.values()) t.close();
    const r = rooms.get(me.room);
    r?.peers.delete(socket);
    if (r && r.peers.size === 0) {
      rooms.delete(me.room);
      void r.router.then((router) => router.close());
    }
  });
});

httpServer.listen(httpPort, '127.0.0.1');
const stop = () => {
  void io.close();
  worker.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
