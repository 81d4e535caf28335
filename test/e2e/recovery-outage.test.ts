// A patient's network goes away and comes back, in a live call: every packet
// between the patient's browser and the server is lost for 5 s, then for
// 20 s (support/netns.ts: nothing tells either side, as in a lift); and the
// page goes offline for 20 s by Chromium's own switch (the signalling socket
// dies while media may still flow). Each time, video comes back on both sides
// without a click, and nobody is admitted again; while the patient's video is
// frozen, the clinician is told so, never "Connection: good".
import { expect, it } from 'vitest';
import type { CreatedAppointment } from '../support/api.ts';
import { bothDecoding, PATIENT_NAME, seen, type FaultRig } from '../support/fault-call.ts';
import { callToBreak, describeFaults, expectMediaBack, expectNoReadmission, useFaultRig } from '../support/recovery.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describeFaults('recovery from a patient\'s network outage', () => {
  let rig: FaultRig;
  let apt: CreatedAppointment | undefined;

  useFaultRig({ workers: 2 }, (r) => (rig = r));

  for (const seconds of [5, 20]) {
    it(`brings video back after ${seconds} s of lost packets`, async () => {
      apt = await callToBreak(rig, apt);
      const clicks = (await seen(rig.gp.page)).admitClicks;
      await rig.patient.net.drop();
      let restoredAt: number;
      try {
        await sleep(seconds * 1000);
        if (seconds >= 20) {
          // What people see is true: the frozen patient is not shown as fine.
          const tile = rig.gp.page.locator('figure').filter({ has: rig.gp.page.getByLabel(new RegExp(`^Video of ${PATIENT_NAME}`)) });
          const shown = await tile.innerText({ timeout: 5000 });
          expect(shown).not.toMatch(/Connection: good/i);
          expect(shown).toMatch(/reconnecting/i);
          // And the participant list says what is wrong.
          await expect.poll(() => rig.gp.page.getByText(/connection lost, reconnecting/i).count(), { timeout: 5000 }).toBeGreaterThan(0);
        }
      } finally {
        await rig.patient.net.restore();
        restoredAt = Date.now();
      }
      await expectMediaBack(rig, restoredAt, `${seconds} s outage`);
      await expectNoReadmission(rig, apt, clicks);
    });
  }

  it('keeps media through 20 s offline (signalling dead, media untouched) and reconnects without a click', async () => {
    apt = await callToBreak(rig, apt);
    const clicks = (await seen(rig.gp.page)).admitClicks;
    const logsBefore = rig.server.logs().length;
    const offlineAt = Date.now();
    await rig.patient.ctx.setOffline(true);
    let onlineAt: number;
    try {
      // The server sees the socket die after its heartbeat timeout (15 s by
      // default); the patient's media must outlive it.
      await sleep(20_000);
      // The fault is real: the server saw the patient's socket die.
      expect(rig.server.logs().slice(logsBefore).some((l) => l.includes('"socket disconnected"')), 'the server logged the socket dropping').toBe(true);
      expect(await bothDecoding(rig, Date.now() - 500, 5000).catch(() => null), 'video still flowing 20 s into the offline spell').not.toBeNull();
    } finally {
      await rig.patient.ctx.setOffline(false);
      onlineAt = Date.now();
    }
    expect(onlineAt - offlineAt).toBeGreaterThanOrEqual(20_000);
    await expectMediaBack(rig, onlineAt, '20 s offline');
    await expectNoReadmission(rig, apt, clicks);
  });
});
