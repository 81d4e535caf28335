// The mediasoup worker carrying a live call dies (SIGKILL; the server runs
// two). Video comes back on both sides without a click, and nobody is
// admitted again.
import { expect, it } from 'vitest';
import type { CreatedAppointment } from '../support/api.ts';
import { seen, type FaultRig } from '../support/fault-call.ts';
import { alive, busiestWorker } from '../support/server-process.ts';
import { callToBreak, describeFaults, expectMediaBack, expectNoReadmission, useFaultRig } from '../support/recovery.ts';

describeFaults('recovery from a media worker\'s death', () => {
  let rig: FaultRig;
  let apt: CreatedAppointment | undefined;

  useFaultRig({ workers: 2 }, (r) => (rig = r));

  it('brings video back after the worker carrying the call is SIGKILLed', async () => {
    apt = await callToBreak(rig, apt);
    const clicks = (await seen(rig.gp.page)).admitClicks;
    expect(rig.server.workerPids()).toHaveLength(2);
    const worker = await busiestWorker(rig.server);
    // The one forwarding four streams works harder than the idle one.
    expect(worker.ticks).toBeGreaterThan(Math.max(...worker.others));
    process.kill(worker.pid, 'SIGKILL');
    const killedAt = Date.now();
    await expect.poll(() => alive(worker.pid)).toBe(false);
    await expectMediaBack(rig, killedAt, 'worker SIGKILL');
    await expectNoReadmission(rig, apt, clicks);
    // The server replaced it: two workers again.
    await expect.poll(() => rig.server.workerPids().filter((p) => p !== worker.pid).length, { timeout: 10_000 }).toBe(2);
  });
});
