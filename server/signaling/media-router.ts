// Where a page's media request goes: the node that holds its consultation's
// Router (its placement), found once and remembered until that node dies or
// refuses, then asked over the relay (or run here when it is this node). The
// placement is only made for a participant who is admitted, so nobody
// waiting can make a node open a Router.
import { AppError } from '../core/errors.ts';
import type { AppointmentId, ParticipantId } from '../core/ids.ts';
import type { ConsultationService } from '../domain/consultation.ts';
import type { MediaOp, MediaRelay, NodeId, Placement } from '../cluster/contract.ts';
import type { ClientMessage, ClientReplies } from '../wire/socket.ts';

/** Codes after which the remembered owner is asked for again (it drained, moved or did not answer). */
const FORGET_OWNER_ON = new Set(['MEDIA_ERROR', 'SHUTTING_DOWN', 'CONSULTATION_ENDED']);

export class MediaRouter {
  readonly #placement: Placement;
  readonly #relay: MediaRelay;
  readonly #consultations: ConsultationService;
  readonly #owners = new Map<string, NodeId>();

  constructor(d: { placement: Placement; relay: MediaRelay; consultations: ConsultationService }) {
    this.#placement = d.placement;
    this.#relay = d.relay;
    this.#consultations = d.consultations;
  }

  async run<K extends MediaOp>(appointmentId: AppointmentId, participantId: ParticipantId, op: K, payload: ClientMessage<K>): Promise<ClientReplies[K]> {
    let owner = this.#owners.get(appointmentId);
    if (owner === undefined) {
      await this.#consultations.requireAdmitted(participantId, appointmentId);
      owner = await this.#placement.ownerOf(appointmentId);
      this.#owners.set(appointmentId, owner);
    }
    const reply = await this.#relay.call(owner, { appointmentId, participantId, op, payload });
    if (reply.ok) return reply.data as ClientReplies[K];
    if (FORGET_OWNER_ON.has(reply.error.code) && this.#owners.get(appointmentId) === owner) this.#owners.delete(appointmentId);
    throw new AppError(reply.error.code, reply.error.message, reply.error.details ? { details: reply.error.details } : {});
  }

  /** That node is gone: ask the placement again for its consultations. */
  forgetNode(nodeId: NodeId): void {
    for (const [appointmentId, owner] of this.#owners) if (owner === nodeId) this.#owners.delete(appointmentId);
  }

  /** The consultation ended or moved. */
  forget(appointmentId: string): void {
    this.#owners.delete(appointmentId);
  }
}
