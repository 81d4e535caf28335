// The clinician reloads the console in a live call: it reopens the same
// consultation by itself, video comes back on both sides without a click,
// and the patient is not sent back to the waiting room.
import { it } from 'vitest';
import type { CreatedAppointment } from '../support/api.ts';
import { phase, seen, type FaultRig } from '../support/fault-call.ts';
import { callToBreak, describeFaults, expectMediaBack, expectNoReadmission, useFaultRig } from '../support/recovery.ts';

describeFaults('the console across a reload', () => {
  let rig: FaultRig;
  let apt: CreatedAppointment | undefined;

  useFaultRig({ workers: 1 }, (r) => (rig = r));

  it('reopens the open consultation after the clinician reloads', async () => {
    apt = await callToBreak(rig, apt);
    const clicks = (await seen(rig.gp.page)).admitClicks;
    const reloadAt = Date.now();
    await rig.gp.page.reload();
    await phase(rig.gp.page, 'consultation');
    await expectMediaBack(rig, reloadAt, 'console reload');
    await expectNoReadmission(rig, apt, clicks);
  });
});
