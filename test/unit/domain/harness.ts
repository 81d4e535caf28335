// The domain services wired by hand as server/deps.ts wires them, over the
// real in-memory stores, with one clock the test controls. No mocks.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { expect } from 'vitest';
import { AppError, type ErrorCode } from '../../../server/core/errors.ts';
import { SessionService, type StaffSessionPolicy } from '../../../server/domain/access/sessions.ts';
import { keyRing, TokenService, type KeyRing } from '../../../server/domain/access/tokens.ts';
import { AppointmentService, type AppointmentPolicy, type CreatedAppointment } from '../../../server/domain/appointments.ts';
import { ClinicService } from '../../../server/domain/clinics.ts';
import { ConsultationService } from '../../../server/domain/consultation.ts';
import { DomainBus, EventRecorder } from '../../../server/domain/events.ts';
import type { Actor, Session, StaffPrincipal } from '../../../server/domain/model.ts';
import type { Stores } from '../../../server/domain/stores.ts';
import { createMemoryStores } from '../../../server/stores/memory/index.ts';

export const ISSUER = 'consultroom-test';
export const PUBLIC_URL = 'https://consult.example.org';
export const T0 = Date.parse('2030-03-04T09:00:00.000Z');
export const MINUTE = 60_000;

export const POLICY: AppointmentPolicy = {
  publicUrl: PUBLIC_URL,
  joinEarlyMinutes: 60,
  graceMinutes: 60,
  retentionHours: 24,
  clinicianTokenTtlMinutes: 5,
};

/** Staff sessions as configured by default, without OpenID Connect. */
export const STAFF_POLICY: StaffSessionPolicy = { idleMinutes: 30, absoluteHours: 12, ticketTtlMinutes: POLICY.clinicianTokenTtlMinutes, requireSignIn: false };

export const API_ACTOR: Actor = { role: 'api', id: 'booking-system' };
export const PATIENT_NAME = 'Zebedee Quintrell-Oyelaran';
export const CLINICIAN = { id: 'gp-1', name: 'Dr Asha Patel' };

export type ClinicianSession = Extract<Session, { kind: 'clinician' }>;

/** A clock the test moves by hand. */
export class Clock {
  ms: number;
  constructor(ms = T0) {
    this.ms = ms;
  }
  readonly now = (): Date => new Date(this.ms);
  readonly nowMs = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
  set(iso: string): void {
    this.ms = Date.parse(iso);
  }
}

export const newP256 = (): { privateKey: KeyObject; publicKey: KeyObject } => generateKeyPairSync('ec', { namedCurve: 'P-256' });

export interface World {
  clock: Clock;
  keys: KeyRing;
  stores: Stores;
  bus: DomainBus;
  events: EventRecorder;
  tokens: TokenService;
  appointments: AppointmentService;
  sessions: SessionService;
  clinics: ClinicService;
  consultations: ConsultationService;
}

export function makeWorld(
  opts: { clock?: Clock; keys?: KeyRing; maxParticipants?: number; policy?: Partial<AppointmentPolicy>; staff?: Partial<StaffSessionPolicy>; bus?: DomainBus } = {},
): World {
  const clock = opts.clock ?? new Clock();
  const keys = opts.keys ?? keyRing({ kid: 'k1', privateKey: newP256().privateKey });
  const stores = createMemoryStores({ now: clock.nowMs });
  const bus = opts.bus ?? new DomainBus();
  const events = new EventRecorder(stores.events, bus, clock.now);
  const tokens = new TokenService(keys, ISSUER, () => clock.now().getTime());
  const policy = { ...POLICY, ...opts.policy };
  const appointments = new AppointmentService({ stores, tokens, events, bus, now: clock.now, policy });
  const clinics = new ClinicService({ stores, events, now: clock.now });
  const staff = { ...STAFF_POLICY, ticketTtlMinutes: policy.clinicianTokenTtlMinutes, ...opts.staff };
  const sessions = new SessionService({ stores, tokens, appointments, clinics, events, bus, sessionTtlHours: 12, staff, now: clock.now });
  const consultations = new ConsultationService({ stores, appointments, events, bus, maxParticipants: opts.maxParticipants ?? 4, now: clock.now });
  return { clock, keys, stores, bus, events, tokens, appointments, sessions, clinics, consultations };
}

/** The token a join or console URL carries in its fragment. */
export const tokenOf = (url: string): string => new URL(url).hash.replace(/^#t=/, '').split('&')[0]!;

/** An appointment starting now (so its links are open), 30 minutes long. */
export function book(w: World, over: { startsAt?: string; clinician?: { id: string; name: string }; patientName?: string; durationMinutes?: number } = {}): Promise<CreatedAppointment> {
  return w.appointments.create(
    {
      clinician: over.clinician ?? CLINICIAN,
      patient: { name: over.patientName ?? PATIENT_NAME },
      startsAt: over.startsAt ?? w.clock.now().toISOString(),
      durationMinutes: over.durationMinutes ?? 30,
    },
    API_ACTOR,
  );
}

/** A browser that has not been here before (no device cookie); pass `credential` from a redemption's `device` to come back as the same device. */
export const device = (label = 'Mobile Safari on iOS'): { device: string; credential?: string } => ({ device: label });

/** A fresh console ticket (single use) for a clinician. */
export const ticketFor = (w: World, clinician: { id: string; name: string } = CLINICIAN): string => tokenOf(w.appointments.clinicianUrl(clinician));

/** The clinician's session, through a real console ticket (a fresh one each call: tickets are single use). */
export async function clinicianSession(w: World, created: CreatedAppointment): Promise<ClinicianSession> {
  return (await w.sessions.redeemTicket(ticketFor(w, created.appointment.clinician), device('Firefox on Linux'), null)).session;
}

/** A clinician session for some other clinician. */
export async function otherClinicianSession(w: World, clinician = { id: 'gp-2', name: 'Dr Other' }): Promise<ClinicianSession> {
  return (await w.sessions.redeemTicket(ticketFor(w, clinician), device('Firefox on Linux'), null)).session;
}

/** A staff session for anyone with any roles (as a sign-in would start it). */
export async function staffSession(w: World, p: Partial<StaffPrincipal> = {}): Promise<ClinicianSession> {
  const principal: StaffPrincipal = { userId: CLINICIAN.id, name: CLINICIAN.name, roles: ['clinician'], clinics: [], ...p };
  return (await w.sessions.startStaff(principal, device('Firefox on Linux'), 'oidc')).session;
}

/** The AppError a promise or a function rejects or throws with. */
export async function appErrorOf(run: Promise<unknown> | (() => unknown)): Promise<AppError> {
  let caught: unknown;
  try {
    await (typeof run === 'function' ? run() : run);
  } catch (e) {
    caught = e;
  }
  if (caught === undefined) throw new Error('expected an AppError, but nothing was thrown');
  expect(caught).toBeInstanceOf(AppError);
  return caught as AppError;
}

export async function expectCode(run: Promise<unknown> | (() => unknown), code: ErrorCode): Promise<AppError> {
  const e = await appErrorOf(run);
  expect(e.code).toBe(code);
  return e;
}
