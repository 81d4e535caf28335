// Reading a connectivity probe's WebRTC stats: the SFU's receiver report is
// what proves media got through; the upload estimate is the browser's own for
// the selected candidate pair (else what was sent over the time); the loss is
// what the SFU reported of what was sent.
import { describe, expect, it } from 'vitest';
import { lossPercent, probeSample, uploadKbps, type StatsEntries } from '../../../client/src/model/probe-stats.ts';

const report = (...entries: Record<string, unknown>[]): StatsEntries => new Map(entries.map((e, i) => [typeof e.id === 'string' ? e.id : `s${i}`, e]));

describe('probeSample', () => {
  it('has not reached the SFU while only sending (no receiver report yet)', () => {
    const s = probeSample(report({ type: 'outbound-rtp', kind: 'video', bytesSent: 5000, packetsSent: 10 }));
    expect(s).toEqual({ reached: false, availableOutgoingBitrate: null, bytesSent: 5000, packetsSent: 10, packetsLost: 0 });
  });

  it('has reached it once a receiver report came back, and reads the selected pair and the loss', () => {
    const s = probeSample(
      report(
        { type: 'outbound-rtp', bytesSent: 40_000, packetsSent: 100 },
        { type: 'remote-inbound-rtp', packetsLost: 3 },
        { id: 'old', type: 'candidate-pair', nominated: true, state: 'succeeded', availableOutgoingBitrate: 50_000 },
        { id: 'cp', type: 'candidate-pair', nominated: true, state: 'succeeded', availableOutgoingBitrate: 1_250_000 },
        { type: 'transport', selectedCandidatePairId: 'cp' },
      ),
    );
    expect(s).toEqual({ reached: true, availableOutgoingBitrate: 1_250_000, bytesSent: 40_000, packetsSent: 100, packetsLost: 3 });
  });

  it('ignores garbage numbers (missing, negative, not finite)', () => {
    const s = probeSample(report({ type: 'outbound-rtp', bytesSent: 'x', packetsSent: Number.NaN }, { type: 'remote-inbound-rtp', packetsLost: -4 }));
    expect(s).toMatchObject({ reached: true, bytesSent: 0, packetsSent: 0, packetsLost: 0, availableOutgoingBitrate: null });
  });
});

describe('uploadKbps and lossPercent', () => {
  const sample = (o: Partial<ReturnType<typeof probeSample>>) => ({ reached: true, availableOutgoingBitrate: null, bytesSent: 0, packetsSent: 0, packetsLost: 0, ...o });

  it("takes the browser's estimate at the end when there is one", () => {
    expect(uploadKbps({ sample: sample({}), atMs: 0 }, { sample: sample({ availableOutgoingBitrate: 845_600, bytesSent: 10 }), atMs: 3000 })).toBe(846);
  });

  it('else what was sent over the time, and nothing for no time', () => {
    const first = { sample: sample({ bytesSent: 10_000 }), atMs: 1000 };
    expect(uploadKbps(first, { sample: sample({ bytesSent: 85_000 }), atMs: 4000 })).toBe(200);
    expect(uploadKbps(first, first)).toBeUndefined();
  });

  it('is the share of sent packets the SFU lost, to a tenth, within 0 to 100', () => {
    expect(lossPercent(sample({ packetsSent: 0 }))).toBeUndefined();
    expect(lossPercent(sample({ packetsSent: 300, packetsLost: 0 }))).toBe(0);
    expect(lossPercent(sample({ packetsSent: 300, packetsLost: 7 }))).toBe(2.3);
    expect(lossPercent(sample({ packetsSent: 10, packetsLost: 40 }))).toBe(100);
  });
});
