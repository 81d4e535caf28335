// Redis goes away and comes back (SIGKILL, then the same port and AOF data)
// while pages load: the admitted patient reloads during the outage and is
// back in the call once Redis is back; a patient of another appointment, in
// its waiting room, reloads too and is back in the waiting room; a third
// opens their link during the outage and reaches the consent screen. Nobody
// clicks "Try again", nobody is admitted again, no waiting patient is lost.
import { expect, it } from 'vitest';
import { createAppointment, type CreatedAppointment } from '../support/api.ts';
import { probedPage } from '../support/fault-browser.ts';
import { patientJoins, phase, seen, type FaultRig } from '../support/fault-call.ts';
import { callToBreak, describeFaults, expectMediaBack, expectNoReadmission, useFaultRig } from '../support/recovery.ts';

const OUTAGE_MS = 5000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describeFaults('recovery from a Redis outage while pages load', () => {
  let rig: FaultRig;
  let apt: CreatedAppointment | undefined;

  useFaultRig({ workers: 1 }, (r) => (rig = r));

  it('brings every page that loaded during the outage back where it was, without a click', async () => {
    apt = await callToBreak(rig, apt);
    const clicks = (await seen(rig.gp.page)).admitClicks;
    const shownBefore = (await seen(rig.patient.page)).phases.length;
    const waitingApt = await createAppointment(rig.server.url, { patientName: 'Ravi Kumar', clinicianId: 'gp-other' });
    const freshApt = await createAppointment(rig.server.url, { patientName: 'Priya Shah', clinicianId: 'gp-other' });
    const waiting = await probedPage(rig.patient.browser);
    const fresh = await probedPage(rig.patient.browser);
    try {
      await patientJoins(waiting.page, waitingApt);
      await phase(waiting.page, 'waiting');
      const waitingShownBefore = (await seen(waiting.page)).phases.length;
      await rig.redis.halt('SIGKILL');
      let backAt: number;
      try {
        // Three pages load while the store is unreachable; none may end on a final error.
        await rig.patient.page.reload({ waitUntil: 'commit' });
        await waiting.page.reload({ waitUntil: 'commit' });
        await fresh.page.goto(freshApt.patientUrl, { waitUntil: 'commit' });
        await sleep(OUTAGE_MS);
      } finally {
        await rig.redis.restart();
        backAt = Date.now();
      }
      await phase(rig.patient.page, 'call');
      await expectMediaBack(rig, backAt, 'Redis restart during a reload');
      await expectNoReadmission(rig, apt, clicks);
      await phase(waiting.page, 'waiting');
      await phase(fresh.page, 'consent');
      const admitted = await seen(rig.patient.page);
      const stillWaiting = await seen(waiting.page);
      const newcomer = await seen(fresh.page);
      expect(admitted.phases.slice(shownBefore), 'what the reloading admitted patient was shown').not.toContain('error');
      expect(stillWaiting.phases.slice(waitingShownBefore), 'what the reloading waiting patient was shown').not.toContain('error');
      expect(stillWaiting.phases.slice(waitingShownBefore), 'the waiting patient had to consent again').not.toContain('consent');
      expect(newcomer.phases, 'what the newcomer was shown').not.toContain('error');
      for (const p of [admitted, stillWaiting, newcomer]) expect(p.clicks.filter((c) => /try again/i.test(c))).toEqual([]);
    } finally {
      await waiting.ctx.close();
      await fresh.ctx.close();
    }
  });
});
