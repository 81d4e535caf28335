// The patient's phone moves from one network to another in a live call: its
// address disappears, so every connection made from it is dead (the browser's
// TCP sockets are aborted, its UDP goes nowhere), and a new address on another
// subnet works at once (support/netns.ts). Video comes back on both sides
// without a click, and nobody is admitted again.
import { expect, it } from 'vitest';
import type { CreatedAppointment } from '../support/api.ts';
import { seen, type FaultRig } from '../support/fault-call.ts';
import { callToBreak, describeFaults, expectMediaBack, expectNoReadmission, useFaultRig } from '../support/recovery.ts';

describeFaults('recovery from a network switch', () => {
  let rig: FaultRig;
  let apt: CreatedAppointment | undefined;

  useFaultRig({ workers: 2 }, (r) => (rig = r));

  it('brings video back after the patient switches networks', async () => {
    apt = await callToBreak(rig, apt);
    const clicks = (await seen(rig.gp.page)).admitClicks;
    const before = rig.patient.net.address();
    await rig.patient.net.switchNetwork();
    const switchedAt = Date.now();
    expect(rig.patient.net.address()).not.toBe(before);
    await expectMediaBack(rig, switchedAt, 'network switch');
    await expectNoReadmission(rig, apt, clicks);
  });
});
