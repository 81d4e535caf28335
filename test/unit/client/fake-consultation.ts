// A consultation wired to a fake socket and fake media sessions, for the
// client model's tests: the test plays the server, the network and the
// browser's ICE agent.
import { vi } from 'vitest';
import type { ConsultationView } from '../../../server/wire/participants.ts';
import { Consultation, type ConsultationEvents, type ConsultationOptions, type RemoteMedia } from '../../../client/src/model/consultation.ts';
import { Emitter } from '../../../client/src/model/emitter.ts';
import type { TransportConnectionState } from '../../../client/src/model/ice-watch.ts';
import type { LocalDevices } from '../../../client/src/model/local-devices.ts';
import type { MediaSession } from '../../../client/src/model/media-session.ts';
import { FakeSocket } from './fake-socket.ts';

export function view(state: string, others: { id: string; state: string }[] = []): ConsultationView {
  return {
    appointmentId: 'appt-1',
    self: { id: 'p-self', state },
    participants: [{ id: 'p-self', name: 'Jane', state }, ...others.map((o) => ({ ...o, name: o.id }))],
  } as unknown as ConsultationView;
}

let nextMedia = 0;

/** A media session with two transports whose ICE state a test sets (emitting the change as mediasoup-client does). */
export function fakeMedia() {
  const n = ++nextMedia;
  const states = new Map<string, TransportConnectionState>([
    [`send-${n}`, 'connected'],
    [`recv-${n}`, 'connected'],
  ]);
  const observer = new Emitter<{ connectionstatechange: [transportId: string, state: TransportConnectionState] }>();
  return {
    observer,
    transportIds: [...states.keys()],
    transportStates: () => [...states].map(([id, state]) => ({ id, state })),
    /** The browser's ICE agent changes one transport's state. */
    setState(id: string, state: TransportConnectionState) {
      states.set(id, state);
      observer.emit('connectionstatechange', id, state);
    },
    restartIce: vi.fn(async (_id: string) => undefined),
    start: vi.fn(async () => undefined),
    publish: vi.fn(async () => undefined),
    setPaused: vi.fn(async () => undefined),
    subscribe: vi.fn(async (a: { producerId: string; participantId: string; kind: 'audio' | 'video' }) => ({
      consumerId: `c-${a.producerId}`,
      producerId: a.producerId,
      participantId: a.participantId,
      kind: a.kind,
      track: {},
      producerPaused: false,
    })),
    dropConsumer: vi.fn(),
    replaceTrack: vi.fn(async () => undefined),
    // The adaptation (video-adaptation.ts): a quiet, clean link.
    linkStats: vi.fn(async () => ({
      send: { availableBitrate: 1_500_000, fractionLost: 0, audioFractionLost: 0, rttSeconds: 0.02, bandwidthLimited: false },
      recv: { packetsReceived: 0, packetsLost: 0, videoFramesDecoded: 0, jitterSeconds: 0.005, rttSeconds: 0.02 },
    })),
    setSendLevel: vi.fn(async () => undefined),
    sendingCamera: true,
    videoConsumers: () => [] as { consumerId: string; participantId: string }[],
    setConsumerPaused: vi.fn(async () => undefined),
    preferLayer: vi.fn(async () => undefined),
    close: vi.fn(),
  };
}

export function setup(startError?: Error, opts: Pick<ConsultationOptions, 'environment' | 'timing'> = {}) {
  const socket = new FakeSocket();
  // A fresh set-up first releases whatever the server holds (it answers false: nothing to resume).
  socket.answer('media:resume', () => ({ resumed: false }));
  socket.answer('media:producers', () => ({
    producers: [
      { producerId: 'pr-other', participantId: 'p-other', kind: 'video' },
      { producerId: 'pr-self', participantId: 'p-self', kind: 'audio' },
    ],
  }));
  const medias: ReturnType<typeof fakeMedia>[] = [];
  const remote = { participants: vi.fn(), added: vi.fn(), removed: vi.fn(), paused: vi.fn(), score: vi.fn(), network: vi.fn(), cleared: vi.fn(), closed: vi.fn() };
  const on = { state: vi.fn(), ended: vi.fn(), failed: vi.fn(), connection: vi.fn(), mediaProblem: vi.fn(), leave: vi.fn() };
  const local = { stream: { getTracks: () => [] }, cameraOn: true, microphoneOn: true, onTrackReplaced: null } as unknown as LocalDevices;
  const c = new Consultation({
    socket: socket.asSocket(),
    local,
    on: on satisfies ConsultationEvents,
    remote: remote satisfies RemoteMedia,
    adaptEveryMs: 0,
    createMedia: () => {
      const m = fakeMedia();
      if (startError) m.start.mockRejectedValue(startError);
      medias.push(m);
      return m as unknown as MediaSession;
    },
    ...opts,
  });
  return { socket, medias, remote, on, c };
}
