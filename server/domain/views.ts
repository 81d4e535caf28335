// What one participant is shown of a consultation: plain data, sent as is
// over socket.io (the protocol re-exports these types).

export type ParticipantStateWire = 'waiting' | 'admitted' | 'denied' | 'removed' | 'left';

export interface ParticipantView {
  id: string;
  role: string;
  name: string;
  state: ParticipantStateWire;
  device: string;
  linkReused: boolean;
  waitingSince?: string;
  connected: boolean;
}

/** What one user is shown: the clinician sees everyone; a guest sees only the admitted when admitted. */
export interface ConsultationView {
  appointmentId: string;
  status: 'scheduled' | 'live' | 'ended';
  locked: boolean;
  startsAt: string;
  durationMinutes: number;
  clinicianName: string;
  self: ParticipantView;
  participants: ParticipantView[];
}


/** One participant as shown to the clinician, the API and the others in the call. */
export function participantView(
  p: { id: string; role: string; name: string; state: ParticipantStateWire; device: string; linkReused: boolean; waitingSince?: string },
  connected: boolean,
): ParticipantView {
  return {
    id: p.id,
    role: p.role,
    name: p.name,
    state: p.state,
    device: p.device,
    linkReused: p.linkReused,
    connected,
    ...(p.waitingSince ? { waitingSince: p.waitingSince } : {}),
  };
}
