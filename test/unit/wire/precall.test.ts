// The one rule from a pre-call check's measurements to the word the clinician
// sees beside a waiting patient: its edges, and that worse measurements never
// give a better word.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { networkVerdict, WEAK_UPLOAD_KBPS, type NetworkMeasurement, type NetworkVerdict } from '../../../server/wire/precall.ts';

const paths = { udp: true, tcp: true, relay: true };

describe('networkVerdict', () => {
  it('is failed when nothing got through, whatever the numbers say', () => {
    expect(networkVerdict({ udp: false, tcp: false, relay: false })).toBe('failed');
    expect(networkVerdict({ udp: false, tcp: false, relay: false, uploadKbps: 5000, lossPercent: 0 })).toBe('failed');
  });

  it('is relay-only when only the TURN relay got through, however fast', () => {
    expect(networkVerdict({ udp: false, tcp: false, relay: true })).toBe('relay-only');
    expect(networkVerdict({ udp: false, tcp: false, relay: true, uploadKbps: 5000, lossPercent: 0 })).toBe('relay-only');
  });

  it('is good over UDP with enough upload and little loss, or nothing measured', () => {
    expect(networkVerdict({ ...paths })).toBe('good');
    expect(networkVerdict({ udp: true, tcp: false, relay: false })).toBe('good');
    expect(networkVerdict({ ...paths, uploadKbps: WEAK_UPLOAD_KBPS, lossPercent: 5 })).toBe('good');
  });

  it('is weak just under the upload line, just over 5% loss, or without UDP', () => {
    expect(networkVerdict({ ...paths, uploadKbps: WEAK_UPLOAD_KBPS - 1 })).toBe('weak');
    expect(networkVerdict({ ...paths, uploadKbps: 0 })).toBe('weak');
    expect(networkVerdict({ ...paths, lossPercent: 5.01 })).toBe('weak');
    expect(networkVerdict({ ...paths, lossPercent: 100 })).toBe('weak');
    expect(networkVerdict({ udp: false, tcp: true, relay: true, uploadKbps: 5000, lossPercent: 0 })).toBe('weak');
  });

  it('never gives a better word for less upload, more loss or fewer ways through', () => {
    const rank: Record<NetworkVerdict, number> = { good: 3, weak: 2, 'relay-only': 1, failed: 0 };
    const m = fc.record(
      {
        udp: fc.boolean(),
        tcp: fc.boolean(),
        relay: fc.boolean(),
        uploadKbps: fc.integer({ min: 0, max: 1_000_000 }),
        lossPercent: fc.double({ min: 0, max: 100, noNaN: true }),
      },
      { requiredKeys: ['udp', 'tcp', 'relay'] },
    );
    fc.assert(
      fc.property(m, m, (a: NetworkMeasurement, b: NetworkMeasurement) => {
        const worse: NetworkMeasurement = {
          udp: a.udp && b.udp,
          tcp: a.tcp && b.tcp,
          relay: a.relay && b.relay,
          ...(a.uploadKbps !== undefined || b.uploadKbps !== undefined ? { uploadKbps: Math.min(a.uploadKbps ?? Infinity, b.uploadKbps ?? Infinity) } : {}),
          ...(a.lossPercent !== undefined || b.lossPercent !== undefined ? { lossPercent: Math.max(a.lossPercent ?? 0, b.lossPercent ?? 0) } : {}),
        };
        expect(rank[networkVerdict(worse)]).toBeLessThanOrEqual(rank[networkVerdict(a)]);
      }),
    );
  });
});
