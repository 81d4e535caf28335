// What a token grants, as small documented claims sets (after LiveKit's
// grants.ts). Minting and verifying are separate (tokens.ts); nothing here
// touches keys or the wire.
import type { AppointmentId, LinkId } from '../../core/ids.ts';
import type { GuestRole } from '../model.ts';

/** Audience of one-time guest links (patient, interpreter, family, carer). */
export const LINK_AUDIENCE = 'consultroom:link';
/** Audience of clinician console tokens. */
export const CLINICIAN_AUDIENCE = 'consultroom:clinician';

/** A one-time link: it names one link record, nothing else (no names: URLs leak). */
export interface LinkGrant {
  linkId: LinkId;
  appointmentId: AppointmentId;
  role: GuestRole;
  /** The link opens this long before the appointment (seconds since epoch). */
  notBefore: number;
  expiresAt: number;
}

/** A clinician may open their own appointments' consoles until the token expires. */
export interface ClinicianGrant {
  clinicianId: string;
  name: string;
  tokenId: string;
  expiresAt: number;
}
