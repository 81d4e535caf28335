// The simulcast layer policy: a poor connection gets the lowest layer, a good
// one the highest, and in between nothing changes (no flapping at the edge).
import { describe, expect, it } from 'vitest';
import { layerAfterFailure, preferredLayer, qualityOf, TOP_LAYER } from '../../../client/src/model/layer-policy.ts';

describe('qualityOf', () => {
  it('is unknown with nothing measured', () => {
    expect(qualityOf(null, null)).toBe('unknown');
  });

  it('rates by the worse of round-trip time and SFU score', () => {
    expect(qualityOf(0.05, 10)).toBe('good');
    expect(qualityOf(0.3, 10)).toBe('fair');
    expect(qualityOf(0.05, 6)).toBe('fair');
    expect(qualityOf(0.6, 10)).toBe('poor');
    expect(qualityOf(0.05, 4)).toBe('poor');
    expect(qualityOf(null, 8)).toBe('good');
    expect(qualityOf(0.2, null)).toBe('good');
  });
});

describe('preferredLayer', () => {
  it('drops to the lowest layer when poor and climbs to the top when good', () => {
    expect(preferredLayer('poor', TOP_LAYER)).toBe(0);
    expect(preferredLayer('good', 0)).toBe(TOP_LAYER);
  });

  it('keeps the current layer when fair or unknown', () => {
    for (const layer of [0, 1, TOP_LAYER]) {
      expect(preferredLayer('fair', layer)).toBe(layer);
      expect(preferredLayer('unknown', layer)).toBe(layer);
    }
  });

  it('after a failed switch remembers the other extreme, so the next rating asks again', () => {
    expect(layerAfterFailure(0)).toBe(TOP_LAYER);
    expect(layerAfterFailure(TOP_LAYER)).toBe(0);
    expect(preferredLayer('poor', layerAfterFailure(0))).toBe(0);
    expect(preferredLayer('good', layerAfterFailure(TOP_LAYER))).toBe(TOP_LAYER);
  });
});
