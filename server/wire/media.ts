// What crosses the socket for media: mediasoup's RTP and DTLS parameters as a
// client may send them (bounded: every array, string and number has a limit),
// and what the server answers and pushes about transports, producers and
// consumers. The server's own objects (ICE and DTLS parameters, RTP parameters
// it hands out) are mediasoup's and pass through as they are.
import { Type, type Static } from 'typebox';

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
export const RtpParameters = Type.Object(
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
export const RtpCapabilities = Type.Object(
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
export const DtlsParameters = Type.Object(
  {
    role: Type.Optional(Type.Enum(['auto', 'client', 'server'])),
    fingerprints: Type.Array(
      Type.Object({ algorithm: Str(16), value: Type.String({ maxLength: 256, pattern: '^[0-9A-Fa-f:]+$' }) }, { additionalProperties: false }),
      { minItems: 1, maxItems: 8 },
    ),
  },
  { additionalProperties: false },
);

const MediaKind = Type.Enum(['audio', 'video']);
const Source = Type.Enum(['camera', 'microphone']);

export const TransportInfo = Type.Object({
  id: Type.String(),
  iceParameters: Type.Unknown(),
  iceCandidates: Type.Array(Type.Unknown()),
  dtlsParameters: Type.Unknown(),
});
export type TransportInfo = Static<typeof TransportInfo>;

export const ConsumerInfo = Type.Object({
  id: Type.String(),
  producerId: Type.String(),
  kind: MediaKind,
  rtpParameters: Type.Unknown(),
  producerPaused: Type.Boolean(),
});
export type ConsumerInfo = Static<typeof ConsumerInfo>;

/** The ICE servers to use and when their credentials expire (null: nothing expires, no TURN). */
export const IceConfig = Type.Object({
  iceServers: Type.Array(Type.Object({ urls: Type.Array(Type.String()), username: Type.String(), credential: Type.String() })),
  iceTransportPolicy: Type.Enum(['all', 'relay']),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
});
export type IceConfig = Static<typeof IceConfig>;

/** A producer in the room (pushed as media:newProducer; listed by media:producers). */
export const ProducerAnnouncement = Type.Object({
  producerId: Type.String(),
  participantId: Type.String(),
  kind: MediaKind,
  source: Source,
  paused: Type.Boolean(),
});
export type ProducerAnnouncement = Static<typeof ProducerAnnouncement>;
