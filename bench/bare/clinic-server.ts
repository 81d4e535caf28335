// The floor under the clinic waiting area's arrival alert: a bare socket.io
// server on Redis where a patient's join is one Redis write (HSET), answered
// to the patient ('consultation:state', waiting) and pushed to every watching
// desk ('waiting:arrived'). No sessions, no roles, no views, no audit: what
// any socket.io + Redis waiting room with an alert costs at least.
// Usage: node bench/bare/clinic-server.ts PORT REDIS_URL
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';

const port = Number(process.argv[2]);
const redis = new Redis(process.argv[3]!, { maxRetriesPerRequest: 2 });
const origin = `http://127.0.0.1:${port}`;

const httpServer = createServer((req, res) => {
  res.writeHead(req.url === '/readyz' ? 200 : 404).end();
});
const io = new Server(httpServer, {
  serveClient: false,
  maxHttpBufferSize: 64 * 1024,
  allowRequest: (req, cb) => cb(null, req.headers.origin === origin),
});

io.on('connection', (socket) => {
  const auth = socket.handshake.auth as { id?: unknown; desk?: unknown };
  if (auth.desk === true) {
    void socket.join('desk');
    return;
  }
  const id = typeof auth.id === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(auth.id) ? auth.id : null;
  if (!id) {
    socket.disconnect(true);
    return;
  }
  const since = new Date().toISOString();
  redis.hset(`bare:clinic:${id}`, 'state', 'waiting', 'since', since, 'socket', socket.id).then(
    () => {
      socket.emit('consultation:state', { self: { id, state: 'waiting', waitingSince: since } });
      io.to('desk').emit('waiting:arrived', { arrivalId: `${id}:${since}`, participantId: id });
    },
    () => socket.disconnect(true),
  );
});

httpServer.listen(port, '127.0.0.1');
const stop = () => {
  void io.close();
  redis.disconnect();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
