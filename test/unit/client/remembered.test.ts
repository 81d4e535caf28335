// The console remembers the open consultation (its id only) in this tab.
import { describe, expect, it } from 'vitest';
import { rememberedConsultation, type SmallStorage } from '../../../client/src/ui/console/remembered.ts';

function memory(): SmallStorage & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v), removeItem: (k) => void data.delete(k) };
}

const ID = 'AbCdEfGhIjKlMnOpQrSt_-';

describe('rememberedConsultation', () => {
  it('keeps the appointment id across a reload, and forgets it when cleared', () => {
    const s = memory();
    rememberedConsultation(s).set(ID);
    expect(rememberedConsultation(s).get()).toBe(ID);
    expect([...s.data.values()]).toEqual([ID]); // the id, and nothing else
    rememberedConsultation(s).clear();
    expect(rememberedConsultation(s).get()).toBeNull();
  });

  it('ignores anything stored that is not one of our ids', () => {
    const s = memory();
    const r = rememberedConsultation(s);
    r.set('Jane Doe');
    expect(s.data.size).toBe(0);
    s.data.set('consultroom.console.open', '../../admin');
    expect(r.get()).toBeNull();
  });

  it('remembers nothing, quietly, when storage is missing or refuses', () => {
    expect(rememberedConsultation(null).get()).toBeNull();
    const refusing: SmallStorage = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
      removeItem: () => {
        throw new Error('SecurityError');
      },
    };
    const r = rememberedConsultation(refusing);
    expect(() => r.set(ID)).not.toThrow();
    expect(r.get()).toBeNull();
    expect(() => r.clear()).not.toThrow();
  });
});
