// A waiting guest's pre-call check: camera, microphone and what their network
// let through to the SFU (UDP, TCP, only the TURN relay) with an upload
// estimate. The page measures; the verdict the clinic sees is computed from
// the measurements by the one rule in network-verdict.ts (the server
// recomputes it: a page's own verdict is never taken).
import { Type, type Static } from 'typebox';
import { NETWORK_VERDICTS } from './network-verdict.ts';

export { networkVerdict, WEAK_UPLOAD_KBPS } from './network-verdict.ts';

export const NetworkMeasurement = Type.Object(
  {
    udp: Type.Boolean({ description: 'media reached the SFU over UDP' }),
    tcp: Type.Boolean({ description: 'media reached the SFU over TCP' }),
    relay: Type.Boolean({ description: 'media reached the SFU through the TURN relay' }),
    uploadKbps: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'estimated upload, kilobits per second' })),
    lossPercent: Type.Optional(Type.Number({ minimum: 0, maximum: 100, description: 'packets lost on the way, per cent' })),
  },
  { additionalProperties: false },
);
export type NetworkMeasurement = Static<typeof NetworkMeasurement>;

/** good: direct and fast enough; weak: works but slow or lossy; relay-only: only through TURN; failed: nothing got through. */
export const NetworkVerdict = Type.Enum([...NETWORK_VERDICTS]);
export type NetworkVerdict = Static<typeof NetworkVerdict>;

export const PrecallCheck = Type.Object(
  {
    camera: Type.Boolean(),
    microphone: Type.Boolean(),
    network: Type.Optional(NetworkMeasurement),
  },
  { additionalProperties: false },
);
export type PrecallCheck = Static<typeof PrecallCheck>;

/** As the clinic's waiting area shows it: the measurements and the verdict. */
export const PrecallCheckView = Type.Object({
  camera: Type.Boolean(),
  microphone: Type.Boolean(),
  network: Type.Optional(Type.Object({ ...NetworkMeasurement.properties, verdict: NetworkVerdict })),
});
export type PrecallCheckView = Static<typeof PrecallCheckView>;
