// What every fault-injection test asserts after its fault: video decoded
// again on both sides with nobody clicking anything, and nobody admitted
// twice (the audit trail holds one admission, the patient's page never went
// back to the consent or waiting screens, the clinician has nobody to admit).
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { CreatedAppointment } from '../../support/api.ts';
import { chromiumAvailable } from '../../support/browser.ts';
import { admissions, bothDecoding, faultRig, liveCall, PATIENT_NAME, phase, seen, stillDecoding, type CallRig, type FaultRig } from '../../support/fault-call.ts';
import { netnsAvailable } from '../../support/netns.ts';

/** How long a test waits for media to come back (a bound on the wait, not a speed target: bench/recovery.ts measures). */
export const RECOVERY_WAIT_MS = 30_000;

/** describe() that runs only where Chromium and browser network namespaces are available (a failure under CI otherwise). */
export const describeFaults = describe.runIf(chromiumAvailable() && netnsAvailable());

/** One rig (Redis, the server, two browsers in their namespaces) for the file's tests, closed after them. */
export function useFaultRig(options: Parameters<typeof faultRig>[0], set: (rig: FaultRig) => void): void {
  let rig: FaultRig | undefined;
  beforeAll(async () => {
    rig = await faultRig(options);
    set(rig);
  }, 60_000);
  afterAll(async () => {
    await rig?.close();
  });
}

/** The call this test breaks: the one the last test left, when it still carries video both ways; otherwise a fresh one. */
export async function callToBreak(rig: CallRig, last: CreatedAppointment | undefined): Promise<CreatedAppointment> {
  if (last && (await stillDecoding(rig, 5000))) return last;
  return liveCall(rig);
}

/**
 * Both pages present remote video frames at or after `since` (epoch ms) and
 * keep presenting them a second later: media is back, not one stale frame.
 */
export async function expectMediaBack(rig: CallRig, since: number, what: string): Promise<number> {
  let back: number;
  try {
    back = await bothDecoding(rig, since, RECOVERY_WAIT_MS);
  } catch (e) {
    throw new Error(`${what}: video did not come back on both sides within ${RECOVERY_WAIT_MS} ms (${(e as Error).message})`, { cause: e });
  }
  expect(await bothDecoding(rig, back + 1000, 10_000).catch(() => null), `${what}: video kept flowing after it came back`).not.toBeNull();
  console.log(`[e2e] ${what}: video on both sides ${Math.round(back - since)} ms after the fault ended (informational; bench/recovery.ts measures)`);
  return back;
}

/** One admission in the audit trail, the patient still in the call, nobody left to admit, no Admit click since the fault. */
export async function expectNoReadmission(rig: CallRig, apt: CreatedAppointment, admitClicksBefore: number): Promise<void> {
  await phase(rig.patient.page, 'call', 10_000);
  const patient = await seen(rig.patient.page);
  const sinceCall = patient.phases.slice(patient.phases.indexOf('call'));
  expect(sinceCall.filter((p) => p === 'waiting' || p === 'consent'), 'the patient page went back to the waiting room').toEqual([]);
  expect((await seen(rig.gp.page)).admitClicks).toBe(admitClicksBefore);
  expect(await rig.gp.page.getByRole('button', { name: new RegExp(`^Admit ${PATIENT_NAME}`) }).count()).toBe(0);
  expect(await admissions(rig.server.url, apt.id)).toBe(1);
}
