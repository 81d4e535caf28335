// The adaptation policy over generated sample sequences: one bad sample never
// pauses video, a link on the edge does not flap, a sustained good link
// always brings video back (lowest layer first), and each direction's
// thresholds read the stats the way the comments say.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AdaptationPolicy,
  CLEAN_NEEDED,
  LEVELS,
  MAX_BACKOFF,
  PROBE_WINDOW,
  readReceive,
  readSend,
  WEAK_NEEDED,
  type Level,
  type Reading,
  type ReceiveSample,
  type SendSample,
} from '../../../client/src/model/adaptation-policy.ts';

const GOOD: Reading = { capacity: 'top', clean: true };
const FAIR: Reading = { capacity: 'top', clean: false };
const WEAK: Reading = { capacity: 'low', clean: false };
const BAD: Reading = { capacity: 'audio', clean: false };

const reading = fc.constantFrom<Reading | null>(GOOD, FAIR, WEAK, BAD, null);
const rank = (l: Level) => LEVELS.indexOf(l);

function run(p: AdaptationPolicy, rs: readonly (Reading | null)[]): Level[] {
  return rs.map((r) => p.next(r));
}

/** Enough clean samples to climb from audio only to the top whatever the backoff. */
const RECOVERY = 2 * CLEAN_NEEDED * MAX_BACKOFF;

describe('AdaptationPolicy', () => {
  it('starts at the top and stays there on a good link', () => {
    const p = new AdaptationPolicy();
    expect(p.level).toBe('top');
    expect(run(p, Array(50).fill(GOOD)).every((l) => l === 'top')).toBe(true);
  });

  it('steps down one level at a time: top, lowest layer, audio only', () => {
    const p = new AdaptationPolicy();
    const levels = run(p, Array(10).fill(BAD));
    expect(levels.slice(0, WEAK_NEEDED - 1).every((l) => l === 'top')).toBe(true);
    expect(levels).toContain('low');
    expect(levels.indexOf('low')).toBeLessThan(levels.indexOf('audio'));
    expect(levels.at(-1)).toBe('audio');
  });

  it('comes back from audio only through the lowest layer, then the top', () => {
    const p = new AdaptationPolicy();
    run(p, Array(10).fill(BAD));
    const levels = run(p, Array(3 * CLEAN_NEEDED).fill(GOOD));
    const firstLow = levels.indexOf('low');
    expect(firstLow).toBeGreaterThanOrEqual(CLEAN_NEEDED - 1);
    expect(levels.indexOf('top')).toBeGreaterThan(firstLow);
    expect(levels.at(-1)).toBe('top');
  });

  it('never goes to audio only on one bad sample, whatever surrounds it among good ones', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(GOOD, FAIR, null), { maxLength: 60 }), fc.nat(60), (around, at) => {
        const seq = [...around];
        seq.splice(Math.min(at, seq.length), 0, BAD);
        expect(run(new AdaptationPolicy(), seq)).not.toContain('audio');
        expect(run(new AdaptationPolicy(), seq)).not.toContain('low');
      }),
    );
  });

  it('changes at most one level per sample, and never goes down on clean samples', () => {
    fc.assert(
      fc.property(fc.array(reading, { maxLength: 200 }), (seq) => {
        const p = new AdaptationPolicy();
        let prev = p.level;
        for (const r of seq) {
          const l = p.next(r);
          expect(Math.abs(rank(l) - rank(prev))).toBeLessThanOrEqual(1);
          if (r === GOOD || r === null) expect(rank(l)).toBeGreaterThanOrEqual(rank(prev));
          prev = l;
        }
      }),
    );
  });

  it('does not flap under alternating good and bad samples: it only steps down, at most twice', () => {
    fc.assert(
      fc.property(fc.constantFrom(WEAK, BAD), fc.constantFrom(GOOD, FAIR), fc.integer({ min: 2, max: 300 }), fc.boolean(), (bad, good, n, badFirst) => {
        const seq = Array.from({ length: n }, (_, i) => ((i % 2 === 0) === badFirst ? bad : good));
        const levels = run(new AdaptationPolicy(), seq);
        const changes = levels.filter((l, i) => l !== (i === 0 ? 'top' : levels[i - 1]));
        expect(changes.length).toBeLessThanOrEqual(2);
        for (let i = 1; i < levels.length; i++) expect(rank(levels[i]!)).toBeLessThanOrEqual(rank(levels[i - 1]!));
      }),
    );
  });

  it('on a link on the edge of the top level, probes ever more rarely', () => {
    // The top is weak, the lowest layer clean: each probe fails, and the waits between them grow.
    const p = new AdaptationPolicy();
    const levels: Level[] = [];
    for (let i = 0; i < 1000; i++) levels.push(p.next(p.level === 'top' ? WEAK : GOOD));
    const ups = levels.flatMap((l, i) => (l === 'top' && levels[i - 1] === 'low' ? [i] : []));
    const gaps = ups.slice(1).map((u, i) => u - ups[i]!);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThanOrEqual(gaps[i - 1]!);
    expect(gaps.at(-1)).toBeGreaterThanOrEqual(CLEAN_NEEDED * MAX_BACKOFF);
    // Without the backoff it would probe every CLEAN_NEEDED + WEAK_NEEDED samples (over 140 times here).
    expect(ups.length).toBeLessThanOrEqual(Math.ceil(1000 / (CLEAN_NEEDED * MAX_BACKOFF)) + 3);
  });

  it('always recovers to the top after sustained good samples, whatever came before', () => {
    fc.assert(
      fc.property(fc.array(reading, { maxLength: 300 }), (before) => {
        const p = new AdaptationPolicy();
        run(p, before);
        run(p, Array(RECOVERY).fill(GOOD));
        expect(p.level).toBe('top');
      }),
    );
  });

  it('after sustained bad samples is at audio only, whatever came before', () => {
    fc.assert(
      fc.property(fc.array(reading, { maxLength: 300 }), (before) => {
        const p = new AdaptationPolicy();
        run(p, before);
        run(p, Array(2 * WEAK_NEEDED).fill(BAD));
        expect(p.level).toBe('audio');
      }),
    );
  });

  it('after a probe that holds, the next climb waits the normal time again', () => {
    const p = new AdaptationPolicy();
    // Several failed probes push the wait up...
    for (let i = 0; i < 400; i++) p.next(p.level === 'top' ? WEAK : GOOD);
    run(p, Array(2 * WEAK_NEEDED).fill(BAD));
    expect(p.level).toBe('audio');
    // ...the link recovers: after the (long) first probe holds, the top follows after the normal wait.
    const levels = run(p, Array(2 * CLEAN_NEEDED * MAX_BACKOFF).fill(GOOD));
    const low = levels.indexOf('low');
    expect(levels.indexOf('top') - low).toBeLessThanOrEqual(PROBE_WINDOW + 1);
  });

  it('reset() goes back to the top', () => {
    const p = new AdaptationPolicy();
    run(p, Array(10).fill(BAD));
    p.reset();
    expect(p.level).toBe('top');
  });
});

const send = (x: Partial<SendSample>): SendSample => ({ availableKbps: 1500, lossFraction: 0, rttSeconds: 0.02, bandwidthLimited: false, ...x });
const recv = (x: Partial<ReceiveSample>): ReceiveSample => ({ lossFraction: 0, jitterSeconds: 0.005, framesPerSecond: 25, score: 10, rttSeconds: 0.02, ...x });

describe('reading a send sample', () => {
  it('a wide clean link can carry the top and leaves room', () => {
    expect(readSend(send({}), 'top')).toEqual({ capacity: 'top', clean: true });
  });
  it('at the top, a low estimate keeps only the lowest layer, a very low one sound only', () => {
    expect(readSend(send({ availableKbps: 200 }), 'top').capacity).toBe('low');
    expect(readSend(send({ availableKbps: 60 }), 'top').capacity).toBe('audio');
  });
  it('at the lowest layer only a very low estimate counts; with video paused the estimate is not read', () => {
    expect(readSend(send({ availableKbps: 200 }), 'low')).toEqual({ capacity: 'top', clean: true });
    expect(readSend(send({ availableKbps: 60 }), 'low').capacity).toBe('audio');
    expect(readSend(send({ availableKbps: 40 }), 'audio')).toEqual({ capacity: 'top', clean: true });
  });
  it('loss and delay count as much as the estimate, at every level', () => {
    for (const at of LEVELS) {
      expect(readSend(send({ lossFraction: 0.08 }), at).capacity).toBe('low');
      expect(readSend(send({ lossFraction: 0.3 }), at).capacity).toBe('audio');
      expect(readSend(send({ rttSeconds: 0.8 }), at).capacity).toBe('low');
      expect(readSend(send({ rttSeconds: 2 }), at).capacity).toBe('audio');
      expect(readSend(send({ lossFraction: 0.03 }), at).clean).toBe(false);
      expect(readSend(send({ rttSeconds: 0.5 }), at).clean).toBe(false);
    }
  });
  it('an encoder held back by bandwidth at the lowest layer leaves no room to step up', () => {
    expect(readSend(send({ bandwidthLimited: true }), 'low')).toEqual({ capacity: 'top', clean: false });
  });
  it('nothing measured is neither weak nor clean', () => {
    expect(readSend({ availableKbps: null, lossFraction: null, rttSeconds: null, bandwidthLimited: false }, 'top')).toEqual({ capacity: 'top', clean: false });
  });
});

describe('reading a receive sample', () => {
  it('a clean link carries the top', () => {
    expect(readReceive(recv({}))).toEqual({ capacity: 'top', clean: true });
  });
  it('loss, jitter, delay and the SFU score each step it down', () => {
    expect(readReceive(recv({ lossFraction: 0.08 })).capacity).toBe('low');
    expect(readReceive(recv({ lossFraction: 0.2 })).capacity).toBe('audio');
    expect(readReceive(recv({ jitterSeconds: 0.15 })).capacity).toBe('low');
    expect(readReceive(recv({ jitterSeconds: 0.4 })).capacity).toBe('audio');
    expect(readReceive(recv({ score: 4 })).capacity).toBe('low');
    expect(readReceive(recv({ score: 1 })).capacity).toBe('audio');
    expect(readReceive(recv({ rttSeconds: 1.5 })).capacity).toBe('audio');
  });
  it('few frames count only with loss or jitter (alone they may be the sender)', () => {
    expect(readReceive(recv({ framesPerSecond: 2 })).capacity).toBe('top');
    expect(readReceive(recv({ framesPerSecond: 2, lossFraction: 0.03 })).capacity).toBe('low');
  });
});
