// A planned restart in a live call: SIGTERM to the server, which drains (the
// call goes on meanwhile), tells the pages it is restarting and exits; a new
// process starts on the same port and the same Redis. Video comes back on
// both sides without a click, the patient is still admitted, nobody is
// admitted again, and a patient in another waiting room is still waiting.
import { expect, it, onTestFinished } from 'vitest';
import { createAppointment, type CreatedAppointment } from '../support/api.ts';
import { probedPage } from '../support/fault-browser.ts';
import { bothDecoding, patientJoins, phase, seen, type FaultRig } from '../support/fault-call.ts';
import { callToBreak, describeFaults, expectMediaBack, expectNoReadmission, useFaultRig } from '../support/recovery.ts';

const DRAIN_SECONDS = 4;

describeFaults('recovery from a planned server restart', () => {
  let rig: FaultRig;
  let apt: CreatedAppointment | undefined;

  useFaultRig({ workers: 2, env: { DRAIN_SECONDS: String(DRAIN_SECONDS) } }, (r) => (rig = r));

  it('keeps the call through the drain and resumes it, and the waiting room, on the new process', async () => {
    apt = await callToBreak(rig, apt);
    const clicks = (await seen(rig.gp.page)).admitClicks;
    const waitingApt = await createAppointment(rig.server.url, { patientName: 'Ravi Kumar', clinicianId: 'gp-other' });
    const waiting = await probedPage(rig.patient.browser);
    onTestFinished(() => waiting.ctx.close());
    await patientJoins(waiting.page, waitingApt);
    await phase(waiting.page, 'waiting');
    const waitingShownBefore = (await seen(waiting.page)).phases.length;
    const termAt = Date.now();
    rig.server.signal('SIGTERM');
    // Media flows during the drain (the workers do not close on the signal).
    const during = await bothDecoding(rig, termAt + 1500, 2000).catch(() => null);
    expect(during, 'video kept flowing during the drain').not.toBeNull();
    expect(await rig.server.exited(DRAIN_SECONDS * 1000 + 15_000)).toBe(0);
    await rig.server.start();
    const readyAt = Date.now();
    await expectMediaBack(rig, readyAt, 'server restart');
    await expectNoReadmission(rig, apt, clicks);
    // The waiting patient is in the waiting room of the new process, told nothing final, asked nothing again.
    await phase(waiting.page, 'waiting');
    const story = (await seen(waiting.page)).phases.slice(waitingShownBefore);
    expect(story.filter((p) => p === 'error' || p === 'ended' || p === 'consent'), 'what the waiting patient was shown').toEqual([]);
    expect((await seen(waiting.page)).clicks.at(-1)).toMatch(/^Join/);
  });

  it('restarts as planned even when a patient\'s old connection died without a word (network switch first)', async () => {
    apt = await callToBreak(rig, apt);
    const clicks = (await seen(rig.gp.page)).admitClicks;
    // The old address's connections are dead, and the server is never told.
    await rig.patient.net.switchNetwork();
    await expectMediaBack(rig, Date.now(), 'network switch before the restart');
    rig.server.signal('SIGTERM');
    const exited = await rig.server.exited(DRAIN_SECONDS * 1000 + 15_000).catch(() => 'still running');
    if (exited === 'still running') await rig.server.kill(); // the next test gets a server either way
    expect(exited, 'the process exits at the end of the drain').toBe(0);
    await rig.server.start();
    await expectMediaBack(rig, Date.now(), 'server restart after a network switch');
    await expectNoReadmission(rig, apt, clicks);
  });
});
