// Who did a step, as the audit trail records it. One builder, so every service
// leaves out an unknown address the same way (no `address: undefined`).
import type { Actor, Participant } from './model.ts';

export const makeActor = (role: Actor['role'], id: string, address?: string): Actor => ({ role, id, ...(address ? { address } : {}) });

/** A participant as the actor of a step; `address` is the client's, when it came over the network. */
export const participantActor = (p: Pick<Participant, 'role' | 'id'>, address?: string): Actor => makeActor(p.role, p.id, address);
