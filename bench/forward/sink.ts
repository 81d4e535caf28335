// A child process of UDP sinks for the forwarding benchmark: each socket is
// where one receive PlainTransport sends its consumers' RTP; packets are
// counted per (socket, SSRC). RTCP (second byte 192-223, RFC 5761) is ignored.
import { createSocket, type Socket } from 'node:dgram';

type Msg = { type: 'open'; count: number } | { type: 'reset' } | { type: 'report' } | { type: 'close' };

const sockets: { socket: Socket; port: number; counts: Map<number, number> }[] = [];
let counting = false;

async function open(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) {
    const socket = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
    const entry = { socket, port: 0, counts: new Map<number, number>() };
    socket.on('message', (buf: Buffer) => {
      if (!counting || buf.length < 12) return;
      const b1 = buf[1]!;
      if (b1 >= 192 && b1 <= 223) return;
      const ssrc = buf.readUInt32BE(8);
      entry.counts.set(ssrc, (entry.counts.get(ssrc) ?? 0) + 1);
    });
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    entry.port = socket.address().port;
    sockets.push(entry);
    ports.push(entry.port);
  }
  return ports;
}

process.on('message', (m: Msg) => {
  if (m.type === 'open') {
    void open(m.count).then((ports) => process.send?.({ type: 'opened', ports }));
  } else if (m.type === 'reset') {
    for (const s of sockets) s.counts.clear();
    counting = true;
    process.send?.({ type: 'reset' });
  } else if (m.type === 'report') {
    counting = false;
    const counts = sockets.map((s) => ({ port: s.port, bySsrc: [...s.counts] }));
    process.send?.({ type: 'report', counts });
  } else if (m.type === 'close') {
    for (const s of sockets.splice(0)) s.socket.close();
    process.send?.({ type: 'closed' });
  }
});
process.send?.({ type: 'ready' });
