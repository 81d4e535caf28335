// Pages on chosen nodes of a cluster rig (support/cluster.ts), for the
// multi-node integration tests: a device does its HTTP through the balanced
// frontend (one origin, as a browser), and opens its socket either through
// the frontend pinned to a node (`{ on: i }`, no reconnection) or through the
// balanced frontend pinned to that node while it is up (`{ on: i, follow:
// true }`, reconnecting by itself, as the real page does, to another node
// when its node dies).
import { io } from 'socket.io-client';
import { expect } from 'vitest';
import type { AuditRecord } from '../../server/domain/audit/record.ts';
import type { NodeStatus } from '../../server/wire/appointments.ts';
import type { ClusterRig } from '../../support/cluster.ts';
import { api, Client, createAppointment, Device, type CreatedAppointment } from './api.ts';

export interface Where {
  /** The node index whose socket this page holds. */
  on: number;
  /** Through the balanced frontend, reconnecting (to another node when this one is down). */
  follow?: boolean;
}

export class Page extends Client {
  #reconnects = 0;
  constructor(socket: ConstructorParameters<typeof Client>[0]) {
    super(socket);
    socket.io.on('reconnect', () => this.#reconnects++);
  }
  get reconnects(): number {
    return this.#reconnects;
  }
  /** The first event `name` after index `from` whose payload matches. */
  async eventWhere(name: string, pred: (payload: unknown) => boolean = () => true, ms = 5000, from = 0): Promise<unknown> {
    const t0 = Date.now();
    while (Date.now() - t0 < ms) {
      const e = this.events.slice(from).find((x) => x.name === name && pred(x.payload));
      if (e) return e.payload;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no ${name} event matched within ${ms} ms; got ${JSON.stringify(this.events.slice(from).map((e) => e.name))}`);
  }
}

/** Opens a page's socket for this device on node `where.on`. */
export function openPage(rig: ClusterRig, device: Device, where: Where, auth?: Record<string, unknown>): Promise<Page> {
  const follow = where.follow ?? false;
  const socket = io(follow ? rig.url : rig.urlOf(where.on), {
    transports: ['websocket'],
    forceNew: true,
    reconnection: follow,
    reconnectionDelay: 200,
    reconnectionDelayMax: 1000,
    timeout: 5000,
    extraHeaders: {
      cookie: device.cookieHeader,
      origin: rig.origin,
      'user-agent': device.userAgent,
      ...(follow ? rig.pinHeaders(where.on) : {}),
    },
    ...(auth ? { auth } : {}),
  });
  const page = new Page(socket);
  return new Promise((resolve, reject) => {
    // Only the first connection's outcome: a later reconnection's error must not close the page.
    const refused = (e: Error & { data?: unknown }): void => {
      socket.close();
      reject(Object.assign(e, { data: e.data }));
    };
    socket.once('connect', () => {
      socket.off('connect_error', refused);
      resolve(page);
    });
    socket.once('connect_error', refused);
  });
}

export interface Call {
  apt: CreatedAppointment;
  gpDevice: Device;
  gp: Page;
  patientDevice: Device;
  patient: Page;
  patientId: string;
}

/** A consultation with the clinician's page on `gpOn` and the patient's on `patientOn`: waiting, or admitted. */
export async function openCall(rig: ClusterRig, o: { gpOn: Where; patientOn: Where; admit?: boolean; pages: Page[] }): Promise<Call> {
  const apt = await createAppointment(rig.url);
  const gpDevice = new Device(rig.url, 'Mozilla/5.0 (Windows NT 10.0) Chrome/156.0 Safari/537.36');
  expect((await gpDevice.redeem(apt.clinicianUrl)).status).toBe(200);
  const gp = await openPage(rig, gpDevice, o.gpOn, { appointmentId: apt.id });
  o.pages.push(gp);
  await gp.until((v) => v.self.state === 'admitted');
  const patientDevice = new Device(rig.url);
  expect((await patientDevice.redeem(apt.patientUrl)).status).toBe(200);
  const patient = await openPage(rig, patientDevice, o.patientOn);
  o.pages.push(patient);
  const waiting = await patient.until((v) => v.self.state === 'waiting');
  if (o.admit) {
    await gp.until((v) => v.participants.some((p) => p.id === waiting.self.id));
    expect(await gp.request('lobby:admit', { participantId: waiting.self.id })).toEqual({ ok: true, data: {} });
    await patient.until((v) => v.self.state === 'admitted');
  }
  return { apt, gpDevice, gp, patientDevice, patient, patientId: waiting.self.id };
}

/** Node i's own status (straight to the node, not through the proxy). */
export async function statusOf(rig: ClusterRig, i: number): Promise<NodeStatus> {
  const r = await api(rig.nodes[i]!.url, 'GET', '/api/v1/status');
  expect(r.status).toBe(200);
  return (await r.json()) as NodeStatus;
}

/** The audit records of one appointment, as exported through the proxy. */
export async function auditOf(rig: ClusterRig, appointmentId: string): Promise<AuditRecord[]> {
  const r = await api(rig.url, 'GET', `/api/v1/audit?appointmentId=${appointmentId}`);
  expect(r.status).toBe(200);
  const lines = (await r.text()).trimEnd().split('\n').map((l) => JSON.parse(l) as unknown);
  lines.pop(); // the export trailer
  return lines as AuditRecord[];
}

export const count = (records: AuditRecord[], action: string): number => records.filter((r) => r.action === action).length;

/** True when every ICE candidate of a transport is on node i's media address and ports. */
export function candidatesOn(rig: ClusterRig, i: number, iceCandidates: unknown[]): boolean {
  const env = rig.nodes[i]!.env;
  const base = Number(env.MEDIASOUP_PORT);
  const workers = Number(env.MEDIASOUP_NUM_WORKERS ?? 1);
  const host = env.MEDIASOUP_LISTEN_IP;
  return (
    iceCandidates.length > 0 &&
    iceCandidates.every((c) => {
      const { ip, address, port } = c as { ip?: string; address?: string; port: number };
      return (address ?? ip) === host && port >= base && port < base + workers;
    })
  );
}
