// Loaded into a measured server with `node --expose-gc --import bench/lib/probe.ts`:
// answers { type: 'mem' } over the IPC channel with process.memoryUsage()
// after a full GC. It adds no route, port or log line to the server.
interface MemRequest {
  type: 'mem';
  id: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

if (process.send) {
  process.channel?.unref();
  process.on('message', (m: MemRequest) => {
    if (m?.type !== 'mem') return;
    gc?.();
    process.send?.({ type: 'mem', id: m.id, ...process.memoryUsage(), gc: Boolean(gc) });
  });
}
