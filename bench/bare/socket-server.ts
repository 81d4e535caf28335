// The floor under our waiting room: a bare socket.io server on Redis that
// records each join with one Redis write (HSET) and acknowledges it with the
// same event our server sends ('consultation:state', self.state 'waiting').
// No HTTP API, no sessions, no audit: what any socket.io + Redis waiting room
// costs at least. Usage: node bench/bare/socket-server.ts PORT REDIS_URL
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
  const auth = socket.handshake.auth as { id?: unknown };
  const id = typeof auth.id === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(auth.id) ? auth.id : null;
  if (!id) {
    socket.disconnect(true);
    return;
  }
  const since = new Date().toISOString();
  redis.hset(`bare:waiting:${id}`, 'state', 'waiting', 'since', since, 'socket', socket.id).then(
    () => socket.emit('consultation:state', { self: { id, state: 'waiting', waitingSince: since } }),
    () => socket.disconnect(true),
  );
});

// The same accept queue as our server (server/main.ts), so a burst meets the same kernel limits.
httpServer.listen({ port, host: '127.0.0.1', backlog: 4096 });
const stop = () => {
  void io.close();
  redis.disconnect();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
