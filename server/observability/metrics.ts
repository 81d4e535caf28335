// Prometheus metrics (prom-client) on a registry of our own: what trust IT
// watches. Gauges are read from the live objects at scrape time; counters and
// the waiting-time histogram are fed by domain events. No labels carry ids or
// names: only fixed reasons and kinds.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DomainBus } from '../domain/events.ts';
import type { RoomRegistry } from '../media/rooms.ts';
import type { WorkerPool } from '../media/worker-pool.ts';
import type { Presence } from '../signaling/presence.ts';
import type { SignalEvents } from '../signaling/signal-events.ts';

export interface MetricSources {
  bus: DomainBus;
  rooms: RoomRegistry;
  pool: WorkerPool;
  presence: Presence;
  /** Connections, media refusals, ICE restarts, resumptions. */
  signals?: SignalEvents;
  /** People in a waiting room with a live socket on this node. */
  waitingCount(): number;
}

export interface Metrics {
  registry: Registry;
  /** Seconds between entering the waiting room and being admitted. */
  observeWait(seconds: number): void;
}

export function createMetrics(src: MetricSources): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'consultroom_' });

  new Gauge({
    name: 'consultroom_consultations_active',
    help: 'Consultations with live media (a mediasoup Router) on this node; self-tests and rooms still opening are not counted',
    registers: [registry],
    collect() {
      this.set(src.rooms.consultations().length);
    },
  });
  new Gauge({
    name: 'consultroom_waiting_people',
    help: 'People waiting in a waiting room, connected to this node',
    registers: [registry],
    collect() {
      this.set(src.waitingCount());
    },
  });
  new Gauge({
    name: 'consultroom_socket_connections',
    help: 'socket.io connections of consultation pages on this node',
    registers: [registry],
    collect() {
      this.set(src.presence.count);
    },
  });
  const media = new Gauge({
    name: 'consultroom_media_objects',
    help: 'mediasoup transports, producers and consumers on this node',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      const sum = { transports: 0, producers: 0, consumers: 0 };
      for (const r of src.rooms.all()) {
        const c = r.counts();
        sum.transports += c.transports;
        sum.producers += c.producers;
        sum.consumers += c.consumers;
      }
      for (const [kind, n] of Object.entries(sum)) media.set({ kind }, n);
    },
  });
  new Gauge({
    name: 'consultroom_mediasoup_workers_alive',
    help: 'mediasoup worker processes alive',
    registers: [registry],
    collect() {
      this.set(src.pool.status().filter((w) => w.alive).length);
    },
  });
  const cpu = new Gauge({
    name: 'consultroom_mediasoup_worker_cpu_seconds',
    help: 'CPU time (user + system) used by each mediasoup worker',
    labelNames: ['worker'],
    registers: [registry],
    async collect() {
      for (const { index, usage } of await src.pool.resourceUsage().catch(() => [])) {
        cpu.set({ worker: String(index) }, (usage.ru_utime + usage.ru_stime) / 1000);
      }
    },
  });
  const decisions = new Counter({
    name: 'consultroom_lobby_decisions_total',
    help: 'Clinician decisions on people in the waiting room',
    labelNames: ['decision'],
    registers: [registry],
  });
  const joinFailures = new Counter({
    name: 'consultroom_join_failures_total',
    help: 'Refused attempts to join, by reason',
    labelNames: ['reason'],
    registers: [registry],
  });
  const wait = new Histogram({
    name: 'consultroom_waiting_seconds',
    help: 'Time from entering the waiting room to being admitted',
    buckets: [5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600],
    registers: [registry],
  });
  const sharing = new Counter({
    name: 'consultroom_sharing_steps_total',
    help: 'Chat messages and file steps (sent, received, saved, delivered, deleted...), by outcome',
    labelNames: ['step', 'outcome'],
    registers: [registry],
  });
  const DECISIONS: Record<string, string> = {
    'participant.admitted': 'admitted',
    'participant.denied': 'denied',
    'participant.sent_back': 'sent_back',
    'participant.removed': 'removed',
  };
  src.bus.on('recorded', (e) => {
    const d = DECISIONS[e.type];
    if (d) decisions.inc({ decision: d });
    if (e.type === 'token.rejected') joinFailures.inc({ reason: e.reason ?? 'unknown' });
    if (e.type.startsWith('file.') || e.type.startsWith('chat.')) sharing.inc({ step: e.type, outcome: e.outcome });
  });
  const sockets = new Counter({
    name: 'consultroom_socket_events_total',
    help: 'Consultation socket connects, disconnects (by socket.io reason) and replacements by a newer socket of the same person',
    labelNames: ['event', 'reason'],
    registers: [registry],
  });
  const mediaRefusals = new Counter({
    name: 'consultroom_media_refusals_total',
    help: 'Media requests answered with an error, by code',
    labelNames: ['code'],
    registers: [registry],
  });
  const iceRestarts = new Counter({ name: 'consultroom_ice_restarts_total', help: 'ICE restarts asked for by pages', registers: [registry] });
  const resumptions = new Counter({
    name: 'consultroom_media_resumptions_total',
    help: 'Pages asking to take their media over after a reconnect, by outcome (resumed true: kept; false: started afresh)',
    labelNames: ['resumed'],
    registers: [registry],
  });
  const expired = new Counter({
    name: 'consultroom_media_expired_total',
    help: "Participants' media closed because nobody came back within the grace period",
    registers: [registry],
  });
  src.signals?.on('socketConnected', () => sockets.inc({ event: 'connect', reason: '' }));
  src.signals?.on('socketDisconnected', (reason) => sockets.inc({ event: 'disconnect', reason }));
  src.signals?.on('socketReplaced', () => sockets.inc({ event: 'replaced', reason: '' }));
  src.signals?.on('mediaRefused', (code) => mediaRefusals.inc({ code }));
  src.signals?.on('iceRestarted', () => iceRestarts.inc());
  src.signals?.on('mediaResumed', (resumed) => resumptions.inc({ resumed: String(resumed) }));
  src.rooms.on('peerExpired', () => expired.inc());
  return { registry, observeWait: (s) => wait.observe(s) };
}
