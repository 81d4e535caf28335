// The node that holds a consultation's Router runs its media requests,
// whichever node took the page's socket (the relay brings them here). Its
// pushes to the pages (new producers, closed consumers, scores) go through
// socket.io's adapter, so they reach a page's socket on any node. It also
// publishes the room's media facts (held, ICE lost, video paused) for
// everyone's views, and moves its consultations away when it drains.
import type { Server } from 'socket.io';
import type { types } from 'mediasoup';
import { AppError, isAppError } from '../core/errors.ts';
import type { AppointmentId, ParticipantId } from '../core/ids.ts';
import type { Logger } from '../core/logger.ts';
import { turnCredentials, type TurnPolicy } from '../domain/access/turn.ts';
import type { ConsultationService } from '../domain/consultation.ts';
import type { DomainBus } from '../domain/events.ts';
import type { ClusterBus, NodeId, Placement, RelayRequest } from '../cluster/contract.ts';
import type { PeerEvents } from '../media/peer.ts';
import type { RoomRegistry } from '../media/rooms.ts';
import type { Ack } from '../wire/errors.ts';
import type { ClientMessage, ClientToServerEvents, ServerToClientEvents } from '../wire/socket.ts';
import { refusalOf, toWireError } from './handle.ts';
import { factsOf, type MediaFactsCache } from './media-facts.ts';
import { MEDIA_OPS, runMediaOp, type MediaAccess, type MediaHandlerOptions } from './media-handlers.ts';
import type { SignalEvents } from './signal-events.ts';
import { liveRoom, selfRoom } from './view-pusher.ts';

type AppServer = Server<ClientToServerEvents, ServerToClientEvents>;

export interface MediaOwnerDeps {
  io: AppServer;
  nodeId: NodeId;
  rooms: RoomRegistry;
  consultations: ConsultationService;
  placement: Placement;
  cluster: ClusterBus;
  bus: DomainBus;
  facts: MediaFactsCache;
  turn: { policy: TurnPolicy; forceRelay: boolean };
  logger: Logger;
  signals?: SignalEvents | undefined;
}

export class MediaOwner {
  readonly #d: MediaOwnerDeps;

  constructor(d: MediaOwnerDeps) {
    this.#d = d;
    // A Router that closes (ended, moved, its worker died) gives its placement back and its facts go.
    d.rooms.on('roomClosed', (id, purpose) => {
      if (purpose !== 'consultation') return;
      void d.placement.release(id as AppointmentId, d.nodeId).catch((e: unknown) => d.logger.warn({ err: e, appointmentId: id }, 'could not release a placement'));
      this.factsChanged(id);
    });
    d.rooms.on('peerExpired', (appointmentId) => this.factsChanged(appointmentId));
  }

  /** Runs one relayed (or local) media request for its participant. */
  serve = async (req: RelayRequest): Promise<Ack<unknown>> => {
    const log = this.#d.logger.child({ appointmentId: req.appointmentId, participantId: req.participantId });
    // A relayed request came over Redis, not from the socket whose gate checked it: checked again here.
    if (!Object.hasOwn(MEDIA_OPS, req.op)) {
      log.warn({ op: String(req.op).slice(0, 64) }, 'media request for no such operation refused');
      return { ok: false, error: new AppError('BAD_REQUEST', 'That is not a media message.').toJSON() };
    }
    const refused = refusalOf(req.op, req.payload);
    if (refused) {
      log.warn({ op: req.op }, 'media request not in the form of its message refused');
      return refused;
    }
    try {
      const data = await runMediaOp(this.#options(req.appointmentId, req.participantId), log, req.op, req.payload as ClientMessage<typeof req.op>);
      return { ok: true, data };
    } catch (e) {
      return toWireError(e, log, req.op);
    }
  };

  /** The room's facts may have changed: every node's views learn them if they did (true). */
  factsChanged(appointmentId: string): boolean {
    const room = this.#d.rooms.get(appointmentId);
    const facts = room ? factsOf(room) : {};
    if (!this.#d.facts.set(appointmentId, facts)) return false;
    this.#d.cluster.publish('mediaFacts', appointmentId as AppointmentId, facts);
    this.#d.bus.safeEmit('connectionChanged', appointmentId as AppointmentId);
    this.#d.bus.safeEmit('changed', appointmentId as AppointmentId);
    return true;
  }

  /** A participant's sockets anywhere came or all went: their media here is theirs again, or held for the grace period. */
  presenceChanged(appointmentId: string, participantId: string, connected: boolean): void {
    const room = this.#d.rooms.get(appointmentId);
    if (!room) return;
    if (connected) room.claimPeer(participantId);
    else room.holdPeer(participantId);
    this.factsChanged(appointmentId);
  }

  /**
   * Gives up every consultation held here (the drain's end): placements
   * released first, so the pages' next request places them on another node,
   * then the Routers closed and the pages told to rebuild their media.
   */
  async moveAll(): Promise<number> {
    const ids = await this.#d.placement.releaseAll(this.#d.nodeId).catch(() => [] as AppointmentId[]);
    const rooms = this.#d.rooms.consultations();
    for (const room of rooms) {
      this.#d.rooms.close(room.id, 'moved');
      this.#d.io.in(liveRoom(room.id)).emit('media:reset', { reason: 'media-lost' });
    }
    this.#d.logger.info({ placements: ids.length, rooms: rooms.length }, 'consultations moved to other nodes');
    return rooms.length;
  }

  #options(appointmentId: AppointmentId, participantId: ParticipantId): MediaHandlerOptions {
    const d = this.#d;
    const io = d.io;
    const mine = () => io.to(selfRoom(participantId));
    const others = () => io.to(liveRoom(appointmentId)).except(selfRoom(participantId));
    const peerEvents: PeerEvents = {
      onConsumerClosed: (consumerId) => mine().emit('media:consumerClosed', { consumerId }),
      onConsumerScore: (consumerId, score, producerScore) =>
        mine().emit('media:consumerScore', { consumerId, score, ...(producerScore === undefined ? {} : { producerScore }) }),
      onConsumerLayersChanged: (consumerId, spatialLayer) => mine().emit('media:consumerLayers', { consumerId, spatialLayer }),
      onIceStateChange: (transportId, state) => {
        d.logger.info({ appointmentId, participantId, transportId, iceState: state }, 'media connection state changed');
        this.factsChanged(appointmentId);
      },
    };
    const access = async (): Promise<MediaAccess> => {
      // Admission is read from the store on every media call, on purpose.
      await d.consultations.requireAdmitted(participantId, appointmentId);
      // Read again once the Router exists: an end landing meanwhile must leave no Router behind;
      // and a consultation placed elsewhere meanwhile (this node drained, or was thought dead) gets none here.
      const stillWanted = async () => {
        const live = await d.consultations.requireAdmitted(participantId, appointmentId).then(
          () => true,
          (e: unknown) => !(isAppError(e) && (e.code === 'CONSULTATION_ENDED' || e.code === 'APPOINTMENT_CANCELLED')),
        );
        return live && (await d.placement.owner(appointmentId)) === d.nodeId;
      };
      const room = await d.rooms.open(appointmentId, { stillWanted });
      return { room, peer: room.peer(participantId, peerEvents) };
    };
    return {
      access,
      mayConsume: (producer: types.Producer, self) => (producer.appData as { peerId?: string }).peerId !== self.id,
      announce: (p, producer) => {
        others().emit('media:newProducer', p);
        producer.observer.once('close', () => io.to(liveRoom(appointmentId)).emit('media:producerClosed', { producerId: producer.id }));
      },
      announcePaused: (producerId, paused) => others().emit('media:producerPaused', { producerId, paused }),
      // Only reached after access() confirmed admission: waiting people never get relay credentials.
      ice: (peerId) => ({ ...turnCredentials(d.turn.policy, peerId, Date.now()), iceTransportPolicy: d.turn.forceRelay ? 'relay' : 'all' }),
      // Their media closed for a fresh start: what the others are shown changes even when no fact did.
      released: () => {
        if (!this.factsChanged(appointmentId)) d.bus.safeEmit('changed', appointmentId);
      },
      videoPausedChanged: () => this.factsChanged(appointmentId),
      ...(d.signals ? { signals: d.signals } : {}),
    };
  }
}
