// What a token grants, as small documented claims sets (after LiveKit's
// grants.ts). Minting and verifying are separate (tokens.ts); nothing here
// touches keys or the wire.
import type { AppointmentId, LinkId } from '../../core/ids.ts';
import type { GuestRole } from '../model.ts';

/** Audience of one-time guest links (patient, interpreter, family, carer). */
export const LINK_AUDIENCE = 'consultroom:link';
/** Audience of clinician console tickets. */
export const CLINICIAN_AUDIENCE = 'consultroom:clinician';

/** A one-time link: it names one link record, nothing else (no names: URLs leak). */
export interface LinkGrant {
  linkId: LinkId;
  appointmentId: AppointmentId;
  role: GuestRole;
  /**
   * Only in tokens minted before issue 15 (they still verify, nbf and all):
   * a link's window now comes from the stored appointment at redemption, so a
   * rescheduled appointment keeps its links (see link-redemption.ts).
   */
  notBefore?: number;
  /** The outer bound (seconds since epoch): the appointment's end, grace and retention, as when it was issued. */
  expiresAt: number;
}

/**
 * A console ticket: single use (its tokenId is claimed once, SessionService.redeemTicket), minutes long
 * (auth.ticketTtlMinutes). It starts a staff session for the clinician, or, with sign-in on, confirms
 * the session of the clinician already signed in as them.
 */
export interface ClinicianGrant {
  clinicianId: string;
  name: string;
  tokenId: string;
  expiresAt: number;
}
