// Connection quality as the call shows it: the worse of round-trip time and
// the SFU's score decides. (Which layer is sent or received is the
// adaptation's: adaptation-policy.test.ts, video-adaptation.test.ts.)
import { describe, expect, it } from 'vitest';
import { qualityOf } from '../../../client/src/model/layer-policy.ts';

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
