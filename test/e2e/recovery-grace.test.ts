// A page offline far longer than the media grace period while its media still
// flows (CDP's offline switch cuts HTTP and WebSockets, not WebRTC): the
// server must not close media that is still carrying the call when the grace
// period runs out, and the page resumes it (no rebuild) when it is back.
// The grace period is set to 2 s so that 20 s offline is ten times it.
import { expect, it } from 'vitest';
import type { CreatedAppointment } from '../support/api.ts';
import { bothDecoding, seen, type FaultRig } from '../support/fault-call.ts';
import { callToBreak, describeFaults, expectMediaBack, expectNoReadmission, useFaultRig } from '../support/recovery.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Recovery {
  resumptions: number;
  rebuilds: number;
}
const recovery = (rig: FaultRig) =>
  rig.patient.page.evaluate(() => (window as unknown as { consultroomRecovery: () => Recovery | null }).consultroomRecovery());

describeFaults('media kept past the grace period while it still flows', () => {
  let rig: FaultRig;
  let apt: CreatedAppointment | undefined;

  useFaultRig({ workers: 1, env: { MEDIA_RESUME_GRACE_SECONDS: '2' } }, (r) => (rig = r));

  it('keeps a page offline for 20 s in the call, media flowing throughout, and resumes it without a rebuild', async () => {
    apt = await callToBreak(rig, apt);
    const clicks = (await seen(rig.gp.page)).admitClicks;
    const before = await recovery(rig);
    const logsBefore = rig.server.logs().length;
    await rig.patient.ctx.setOffline(true);
    let onlineAt: number;
    try {
      await sleep(20_000);
      const logs = rig.server.logs().slice(logsBefore);
      // The socket died (heartbeat) and the grace period ran out long ago...
      expect(logs.some((l) => l.includes('"socket disconnected"')), 'the server saw the socket die').toBe(true);
      // ...but media still carrying the call was kept.
      expect(logs.filter((l) => l.includes('nobody came back within the grace period'))).toEqual([]);
      expect(await bothDecoding(rig, Date.now() - 500, 5000).catch(() => null), 'video still flowing 20 s offline').not.toBeNull();
    } finally {
      await rig.patient.ctx.setOffline(false);
      onlineAt = Date.now();
    }
    await expectMediaBack(rig, onlineAt, '20 s offline, grace 2 s');
    await expectNoReadmission(rig, apt, clicks);
    const after = await recovery(rig);
    expect(after!.resumptions).toBeGreaterThan(before!.resumptions);
    expect(after!.rebuilds).toBe(before!.rebuilds);
  });
});
