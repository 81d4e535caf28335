// The socket.io protocol: typed event maps (what the TypeScript compiler
// checks) and a runtime schema for every client message (what the server
// enforces; a cast is not validation). The browser client imports the types.
import { Type, type Static, type TSchema } from 'typebox';

const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description: 'an id' });
const Str = (max: number) => Type.String({ maxLength: max });
const Num = Type.Number();
const Params = Type.Record(Type.String({ maxLength: 64 }), Type.Union([Type.String({ maxLength: 256 }), Type.Number(), Type.Boolean()]), {
  maxProperties: 32,
});

const RtcpFeedback = Type.Object({ type: Str(32), parameter: Type.Optional(Str(32)) }, { additionalProperties: false });
const Codec = Type.Object(
  {
    mimeType: Str(64),
    payloadType: Type.Integer({ minimum: 0, maximum: 127 }),
    clockRate: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    channels: Type.Optional(Type.Integer({ minimum: 1, maximum: 8 })),
    parameters: Type.Optional(Params),
    rtcpFeedback: Type.Optional(Type.Array(RtcpFeedback, { maxItems: 16 })),
  },
  { additionalProperties: false },
);
const HeaderExtension = Type.Object(
  {
    uri: Str(256),
    id: Type.Integer({ minimum: 1, maximum: 255 }),
    encrypt: Type.Optional(Type.Boolean()),
    parameters: Type.Optional(Params),
  },
  { additionalProperties: false },
);
const Encoding = Type.Object(
  {
    ssrc: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967295 })),
    rid: Type.Optional(Str(32)),
    codecPayloadType: Type.Optional(Type.Integer({ minimum: 0, maximum: 127 })),
    rtx: Type.Optional(Type.Object({ ssrc: Type.Integer({ minimum: 0, maximum: 4294967295 }) }, { additionalProperties: false })),
    dtx: Type.Optional(Type.Boolean()),
    scalabilityMode: Type.Optional(Str(16)),
    scaleResolutionDownBy: Type.Optional(Num),
    maxBitrate: Type.Optional(Num),
    maxFramerate: Type.Optional(Num),
    adaptivePtime: Type.Optional(Type.Boolean()),
    priority: Type.Optional(Str(16)),
    networkPriority: Type.Optional(Str(16)),
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export const RtpParametersSchema = Type.Object(
  {
    mid: Type.Optional(Str(32)),
    codecs: Type.Array(Codec, { minItems: 1, maxItems: 16 }),
    headerExtensions: Type.Optional(Type.Array(HeaderExtension, { maxItems: 24 })),
    encodings: Type.Optional(Type.Array(Encoding, { maxItems: 4 })),
    rtcp: Type.Optional(
      Type.Object(
        { cname: Type.Optional(Str(256)), reducedSize: Type.Optional(Type.Boolean()), mux: Type.Optional(Type.Boolean()) },
        { additionalProperties: false },
      ),
    ),
    msid: Type.Optional(Str(256)),
  },
  { additionalProperties: false },
);
const RtpCapabilitiesSchema = Type.Object(
  {
    codecs: Type.Optional(
      Type.Array(
        Type.Object(
          {
            kind: Type.Enum(['audio', 'video']),
            mimeType: Str(64),
            preferredPayloadType: Type.Optional(Type.Integer({ minimum: 0, maximum: 127 })),
            clockRate: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
            channels: Type.Optional(Type.Integer({ minimum: 1, maximum: 8 })),
            parameters: Type.Optional(Params),
            rtcpFeedback: Type.Optional(Type.Array(RtcpFeedback, { maxItems: 16 })),
          },
          { additionalProperties: false },
        ),
        { maxItems: 64 },
      ),
    ),
    headerExtensions: Type.Optional(
      Type.Array(
        Type.Object(
          {
            kind: Type.Enum(['audio', 'video']),
            uri: Str(256),
            preferredId: Type.Integer({ minimum: 1, maximum: 255 }),
            preferredEncrypt: Type.Optional(Type.Boolean()),
            direction: Type.Optional(Str(16)),
          },
          { additionalProperties: false },
        ),
        { maxItems: 64 },
      ),
    ),
  },
  { additionalProperties: false },
);
const DtlsParametersSchema = Type.Object(
  {
    role: Type.Optional(Type.Enum(['auto', 'client', 'server'])),
    fingerprints: Type.Array(
      Type.Object({ algorithm: Str(16), value: Type.String({ maxLength: 256, pattern: '^[0-9A-Fa-f:]+$' }) }, { additionalProperties: false }),
      { minItems: 1, maxItems: 8 },
    ),
  },
  { additionalProperties: false },
);
const Empty = Type.Object({}, { additionalProperties: false });

/** The most thread items one thread:list answer carries (and the default page). */
export const THREAD_PAGE_MAX = 50;

/** Client -> server messages: each has a schema; every one is answered through its ack. */
export const ClientMessages = {
  'media:capabilities': Empty,
  /** Fresh TURN credentials (admitted participants only), asked for before the current ones expire. */
  'media:iceServers': Empty,
  /** The producers already in the room (call after creating the receive transport). */
  'media:producers': Empty,
  'media:createTransport': Type.Object({ direction: Type.Enum(['send', 'recv']) }, { additionalProperties: false }),
  'media:connectTransport': Type.Object({ transportId: Id, dtlsParameters: DtlsParametersSchema }, { additionalProperties: false }),
  'media:restartIce': Type.Object({ transportId: Id }, { additionalProperties: false }),
  'media:produce': Type.Object(
    {
      transportId: Id,
      kind: Type.Enum(['audio', 'video']),
      rtpParameters: RtpParametersSchema,
      source: Type.Enum(['camera', 'microphone']),
    },
    { additionalProperties: false },
  ),
  'media:consume': Type.Object({ transportId: Id, producerId: Id, rtpCapabilities: RtpCapabilitiesSchema }, { additionalProperties: false }),
  'media:resumeConsumer': Type.Object({ consumerId: Id }, { additionalProperties: false }),
  'media:setPreferredLayers': Type.Object(
    { consumerId: Id, spatialLayer: Type.Integer({ minimum: 0, maximum: 3 }) },
    { additionalProperties: false },
  ),
  'media:setProducerPaused': Type.Object({ producerId: Id, paused: Type.Boolean() }, { additionalProperties: false }),
  'media:closeProducer': Type.Object({ producerId: Id }, { additionalProperties: false }),
  'lobby:admit': Type.Object({ participantId: Id }, { additionalProperties: false }),
  'lobby:deny': Type.Object({ participantId: Id }, { additionalProperties: false }),
  'lobby:sendBack': Type.Object({ participantId: Id }, { additionalProperties: false }),
  'lobby:remove': Type.Object({ participantId: Id }, { additionalProperties: false }),
  'consultation:lock': Type.Object({ locked: Type.Boolean() }, { additionalProperties: false }),
  'consultation:end': Empty,
  'consultation:leave': Empty,
  'consultation:state': Empty,
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

export interface WireError {
  code: string;
  message: string;
  details?: { key: string; problem: string }[];
}
export type Ack<T> = { ok: true; data: T } | { ok: false; error: WireError };

export interface TransportInfoWire {
  id: string;
  iceParameters: unknown;
  iceCandidates: unknown[];
  dtlsParameters: unknown;
}
export interface ConsumerInfoWire {
  id: string;
  producerId: string;
  kind: 'audio' | 'video';
  rtpParameters: unknown;
  producerPaused: boolean;
}

/** The ICE servers to use and when their credentials expire (null: nothing expires, no TURN). */
export interface IceConfigWire {
  iceServers: { urls: string[]; username: string; credential: string }[];
  iceTransportPolicy: 'all' | 'relay';
  expiresAt: string | null;
}

/** What each message's ack carries on success. */
export interface ClientReplies {
  /**
   * The Router's capabilities, and the ICE servers to use: time-limited TURN
   * credentials for the trust's own relay (admitted participants only), never
   * a public STUN or TURN server.
   */
  'media:capabilities': { rtpCapabilities: unknown } & IceConfigWire;
  'media:iceServers': IceConfigWire;
  'media:producers': { producers: ProducerAnnouncement[] };
  'media:createTransport': TransportInfoWire;
  'media:connectTransport': Record<string, never>;
  'media:restartIce': { iceParameters: unknown };
  'media:produce': { id: string };
  'media:consume': ConsumerInfoWire;
  'media:resumeConsumer': Record<string, never>;
  'media:setPreferredLayers': Record<string, never>;
  'media:setProducerPaused': Record<string, never>;
  'media:closeProducer': Record<string, never>;
  'lobby:admit': Record<string, never>;
  'lobby:deny': Record<string, never>;
  'lobby:sendBack': Record<string, never>;
  'lobby:remove': Record<string, never>;
  'consultation:lock': Record<string, never>;
  'consultation:end': Record<string, never>;
  'consultation:leave': Record<string, never>;
  'consultation:state': ConsultationView;
  'thread:list': { items: ThreadItemView[]; more: boolean; limits: SharingLimits };
  'thread:send': { item: ThreadItemView };
  'thread:requestPhoto': { item: ThreadItemView };
  'files:url': { url: string; expiresAt: string };
  'files:viewed': Record<string, never>;
  'files:save': { sidecar: RecordSidecar };
  'files:deliver': { deliveredAt: string };
}

export type ClientToServerEvents = {
  [K in ClientMessageName]: (payload: ClientMessage<K>, ack: (reply: Ack<ClientReplies[K]>) => void) => void;
};

export type { ParticipantStateWire, ParticipantView, SelfView, ConsultationView, FileView, ThreadItemView, SharingLimits, RecordSidecar } from '../domain/views.ts';
import type { ConsultationView, RecordSidecar, SharingLimits, ThreadItemView } from '../domain/views.ts';

export interface ProducerAnnouncement {
  producerId: string;
  participantId: string;
  kind: 'audio' | 'video';
  source: 'camera' | 'microphone';
  paused: boolean;
}

export type ServerToClientEvents = {
  'consultation:state': (view: ConsultationView) => void;
  /** This person's part is over; 'signed-out': the session of this page was ended (sign-out or revocation). */
  'consultation:ended': (info: { reason: 'ended' | 'removed' | 'denied' | 'media-lost' | 'shutdown' | 'signed-out' }) => void;
  'media:newProducer': (p: ProducerAnnouncement) => void;
  'media:producerPaused': (p: { producerId: string; paused: boolean }) => void;
  'media:producerClosed': (p: { producerId: string }) => void;
  'media:consumerClosed': (c: { consumerId: string }) => void;
  'media:consumerScore': (c: { consumerId: string; score: number }) => void;
  'media:consumerLayers': (c: { consumerId: string; spatialLayer: number | null }) => void;
  /** Media must be set up again: sent back to the waiting room, or the worker under the room died. */
  'media:reset': (info: { reason: 'sent-back' | 'media-lost' }) => void;
  /** The server is restarting: calls in progress may continue until the deadline. */
  'server:draining': (info: { deadline: string }) => void;
  /** A new thread entry this participant may see: a message, a photo request, a file. */
  'thread:item': (item: ThreadItemView) => void;
};

// ---- HTTP session API: declared in wire/session.ts, re-exported for the client ----
export type { ClinicianAppointmentSummary, SessionInfo } from '../wire/session.ts';
