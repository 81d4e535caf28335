// The socket.io protocol, declared once: a runtime schema for every client
// message (what the server enforces; a cast is not validation), for what each
// ack carries, and for every event the server pushes. The typed event maps
// socket.io and the client use are derived from them.
import { Type, type Static, type TSchema } from 'typebox';
import type { Ack } from './errors.ts';
import { Ref as Id } from './ids.ts';
import { ConsumerInfo, DtlsParameters, IceConfig, ProducerAnnouncement, RtpCapabilities, RtpParameters, TransportInfo } from './media.ts';
import { ConsultationView } from './participants.ts';
import { NetworkVerdict, PrecallCheck } from './precall.ts';
import { RecordSidecar, SharingLimits, THREAD_PAGE_MAX, ThreadItemView } from './thread.ts';

const Empty = Type.Object({}, { additionalProperties: false });

/** Client -> server messages: each has a schema; every one is answered through its ack. */
export const ClientMessages = {
  'media:capabilities': Empty,
  /** Fresh TURN credentials (admitted participants only), asked for before the current ones expire. */
  'media:iceServers': Empty,
  /** The producers already in the room (call after creating the receive transport). */
  'media:producers': Empty,
  'media:createTransport': Type.Object({ direction: Type.Enum(['send', 'recv']) }, { additionalProperties: false }),
  'media:connectTransport': Type.Object({ transportId: Id, dtlsParameters: DtlsParameters }, { additionalProperties: false }),
  'media:restartIce': Type.Object({ transportId: Id }, { additionalProperties: false }),
  /**
   * After a reconnect: does the server still hold this page's media (these
   * transports, kept for a grace period after the last socket went)? If not,
   * whatever is left of it is closed and the page builds its media afresh.
   * An empty list is a fresh start (a reloaded page, a rebuild): release
   * whatever is still held for this person.
   */
  'media:resume': Type.Object({ transportIds: Type.Array(Id, { maxItems: 2 }) }, { additionalProperties: false }),
  'media:produce': Type.Object(
    {
      transportId: Id,
      kind: Type.Enum(['audio', 'video']),
      rtpParameters: RtpParameters,
      source: Type.Enum(['camera', 'microphone']),
    },
    { additionalProperties: false },
  ),
  'media:consume': Type.Object({ transportId: Id, producerId: Id, rtpCapabilities: RtpCapabilities }, { additionalProperties: false }),
  'media:resumeConsumer': Type.Object({ consumerId: Id }, { additionalProperties: false }),
  'media:setPreferredLayers': Type.Object(
    { consumerId: Id, spatialLayer: Type.Integer({ minimum: 0, maximum: 3 }) },
    { additionalProperties: false },
  ),
  'media:setProducerPaused': Type.Object({ producerId: Id, paused: Type.Boolean() }, { additionalProperties: false }),
  /** The receiver pauses (or resumes) one of its own video consumers: its link cannot carry the video (issue 16 adaptation). */
  'media:setConsumerPaused': Type.Object({ consumerId: Id, paused: Type.Boolean() }, { additionalProperties: false }),
  'media:closeProducer': Type.Object({ producerId: Id }, { additionalProperties: false }),
  'lobby:admit': Type.Object({ participantId: Id }, { additionalProperties: false }),
  'lobby:deny': Type.Object({ participantId: Id }, { additionalProperties: false }),
  'lobby:sendBack': Type.Object({ participantId: Id }, { additionalProperties: false }),
  'lobby:remove': Type.Object({ participantId: Id }, { additionalProperties: false }),
  'consultation:lock': Type.Object({ locked: Type.Boolean() }, { additionalProperties: false }),
  'consultation:end': Empty,
  'consultation:leave': Empty,
  'consultation:state': Empty,
  /** A waiting guest's pre-call check, shown beside them in the clinic's waiting area. */
  'self:check': PrecallCheck,
  /**
   * This page paused video because its link cannot carry it (sending: its own
   * camera to the others; receiving: the others' video to it); sound goes on.
   * Shown to everyone in the call (ParticipantView.videoPaused).
   */
  'self:videoPaused': Type.Object({ sending: Type.Boolean(), receiving: Type.Boolean() }, { additionalProperties: false }),
  /**
   * One page of the thread as this participant may see it (oldest first), and
   * the sharing limits: the latest `limit` items (THREAD_PAGE_MAX at most, and
   * by default), or those before the item `before`; `more` says older remain.
   */
  'thread:list': Type.Object(
    {
      before: Type.Optional(Id),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: THREAD_PAGE_MAX, description: `items per page, at most ${THREAD_PAGE_MAX}` })),
    },
    { additionalProperties: false },
  ),
  /** A chat message: to everyone admitted, or (clinician only) to one person, e.g. someone still waiting. */
  'thread:send': Type.Object(
    { text: Type.String({ minLength: 1, maxLength: 4000, description: 'the message' }), to: Type.Optional(Id) },
    { additionalProperties: false },
  ),
  /** Clinician only: ask an admitted guest for a photo. */
  'thread:requestPhoto': Type.Object({ participantId: Id }, { additionalProperties: false }),
  /** A fresh short-lived URL for a file shared in this consultation. */
  'files:url': Type.Object({ fileId: Id, download: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
  /** The page displayed (or opened) the file: for the audit trail. */
  'files:viewed': Type.Object({ fileId: Id }, { additionalProperties: false }),
  /** Clinician only: save to the clinical record; answers with the metadata sidecar. */
  'files:save': Type.Object({ fileId: Id }, { additionalProperties: false }),
  /** Clinician only: deliver to the trust's record system (signed webhook), where configured. */
  'files:deliver': Type.Object({ fileId: Id }, { additionalProperties: false }),
} satisfies Record<string, TSchema>;

export type ClientMessageName = keyof typeof ClientMessages;
export type ClientMessage<K extends ClientMessageName> = Static<(typeof ClientMessages)[K]>;

const Done = Type.Object({});

/** What each message's ack carries on success. */
export const ClientReplySchemas = {
  /**
   * The Router's capabilities, and the ICE servers to use: time-limited TURN
   * credentials for the trust's own relay (admitted participants only), never
   * a public STUN or TURN server.
   */
  'media:capabilities': Type.Object({ rtpCapabilities: Type.Unknown(), ...IceConfig.properties }),
  'media:iceServers': IceConfig,
  'media:producers': Type.Object({ producers: Type.Array(ProducerAnnouncement) }),
  'media:createTransport': TransportInfo,
  'media:connectTransport': Done,
  'media:restartIce': Type.Object({ iceParameters: Type.Unknown() }),
  'media:resume': Type.Object({ resumed: Type.Boolean({ description: 'true: keep using these transports (restart ICE if the network changed)' }) }),
  'media:produce': Type.Object({ id: Type.String() }),
  'media:consume': ConsumerInfo,
  'media:resumeConsumer': Done,
  'media:setPreferredLayers': Done,
  'media:setProducerPaused': Done,
  'media:setConsumerPaused': Done,
  'media:closeProducer': Done,
  'lobby:admit': Done,
  'lobby:deny': Done,
  'lobby:sendBack': Done,
  'lobby:remove': Done,
  'consultation:lock': Done,
  'consultation:end': Done,
  'consultation:leave': Done,
  'consultation:state': ConsultationView,
  'self:check': Type.Object({ verdict: Type.Optional(NetworkVerdict) }),
  'self:videoPaused': Done,
  'thread:list': Type.Object({ items: Type.Array(ThreadItemView), more: Type.Boolean(), limits: SharingLimits }),
  'thread:send': Type.Object({ item: ThreadItemView }),
  'thread:requestPhoto': Type.Object({ item: ThreadItemView }),
  'files:url': Type.Object({ url: Type.String(), expiresAt: Type.String() }),
  'files:viewed': Done,
  'files:save': Type.Object({ sidecar: RecordSidecar }),
  'files:deliver': Type.Object({ deliveredAt: Type.String() }),
} satisfies Record<ClientMessageName, TSchema>;

export type ClientReplies = { [K in ClientMessageName]: Static<(typeof ClientReplySchemas)[K]> };

export type ClientToServerEvents = {
  [K in ClientMessageName]: (payload: ClientMessage<K>, ack: (reply: Ack<ClientReplies[K]>) => void) => void;
};

/** Server -> client events: what each one carries. */
export const ServerEvents = {
  'consultation:state': ConsultationView,
  /** This person's part is over; 'signed-out': the session of this page was ended (sign-out or revocation). */
  /** 'replaced': the same person opened the consultation on another page or device, which took over. */
  /** 'cancelled': the appointment was cancelled; 'reassigned': (clinician) the clinic gave it to another clinician; 'link-reissued': (guest) a new link replaced the one this device came in through. */
  'consultation:ended': Type.Object({ reason: Type.Enum(['ended', 'removed', 'denied', 'media-lost', 'shutdown', 'signed-out', 'replaced', 'cancelled', 'reassigned', 'link-reissued']) }),
  'media:newProducer': ProducerAnnouncement,
  'media:producerPaused': Type.Object({ producerId: Type.String(), paused: Type.Boolean() }),
  'media:producerClosed': Type.Object({ producerId: Type.String() }),
  'media:consumerClosed': Type.Object({ consumerId: Type.String() }),
  'media:consumerScore': Type.Object({
    consumerId: Type.String(),
    score: Type.Number(),
    /** The sender's stream as it reaches the SFU (0-10): low means the loss is on the sender's side, not this receiver's (issue 16). */
    producerScore: Type.Optional(Type.Number()),
  }),
  'media:consumerLayers': Type.Object({ consumerId: Type.String(), spatialLayer: Type.Union([Type.Integer(), Type.Null()]) }),
  /** Media must be set up again: sent back to the waiting room, or the worker under the room died. */
  'media:reset': Type.Object({ reason: Type.Enum(['sent-back', 'media-lost']) }),
  /** The server is restarting: calls in progress may continue until the deadline. */
  'server:draining': Type.Object({ deadline: Type.String() }),
  /**
   * The server is restarting now: the connection will drop; stay on the page,
   * it reconnects by itself to the new process, which resumes everyone in place.
   */
  'server:restarting': Type.Object({}),
  /** A new thread entry this participant may see: a message, a photo request, a file. */
  'thread:item': ThreadItemView,
} satisfies Record<string, TSchema>;

export type ServerEventName = keyof typeof ServerEvents;
export type ServerToClientEvents = { [K in ServerEventName]: (payload: Static<(typeof ServerEvents)[K]>) => void };
