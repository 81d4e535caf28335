// Who is who: staff roles, API scopes, staff sessions, API keys and clinics,
// as the admin API, the CLI and the console see them. Each shape once; the
// domain's records (domain/model.ts) are what the stores keep.
import { Type, type Static } from 'typebox';
import { Id, Time } from './ids.ts';
import { ClinicSettings } from './clinic-info.ts';

/**
 * clinician: their own appointments; clinic-coordinator: a clinic's waiting
 * area and appointments (no media unless the clinic allows it); clinic-admin:
 * a clinic's membership and settings; auditor: the audit export only;
 * trust-admin: everything but media.
 */
export const STAFF_ROLES = ['clinician', 'clinic-coordinator', 'clinic-admin', 'auditor', 'trust-admin'] as const;
export const StaffRole = Type.Enum([...STAFF_ROLES], { description: 'clinician, clinic-coordinator, clinic-admin, auditor or trust-admin' });
export type StaffRole = Static<typeof StaffRole>;

/** What an API key (or a staff role) may do on the REST API. admin implies every other scope. */
export const API_SCOPES = ['appointments:read', 'appointments:write', 'audit:read', 'clinics:write', 'admin'] as const;
export const ApiScope = Type.Enum([...API_SCOPES], { description: 'appointments:read, appointments:write, audit:read, clinics:write or admin (implies all)' });
export type ApiScope = Static<typeof ApiScope>;

export const CLINIC_ID_PATTERN = '^[a-z0-9][a-z0-9-]{1,62}$';
export const ClinicIdSchema = (description = 'a clinic id: 2 to 63 lower-case letters, digits and hyphens') => Type.String({ pattern: CLINIC_ID_PATTERN, description });
/** A staff member's id at the identity provider (or booking system): printable, no spaces. */
export const UserIdSchema = Type.String({ minLength: 1, maxLength: 128, pattern: '^[\\x21-\\x7e]+$', description: "a staff member's id" });

export const ClinicRolesView = Type.Object({ clinicId: Type.String(), roles: Type.Array(StaffRole) });

// ---- staff sessions ----------------------------------------------------------

export const SessionSummary = Type.Object({
  id: Type.String(),
  userId: Type.String(),
  via: Type.Enum(['oidc', 'ticket']),
  roles: Type.Array(StaffRole),
  createdAt: Time(),
  lastSeenAt: Time(),
  expiresAt: Time('the absolute end'),
  idleExpiresAt: Time('when it ends if unused'),
  device: Type.String(),
  address: Type.Optional(Type.String()),
});
export type SessionSummary = Static<typeof SessionSummary>;
export const SessionList = Type.Object({ sessions: Type.Array(SessionSummary) }, { description: "A staff member's live sessions." });
export type SessionList = Static<typeof SessionList>;
export const UserParams = Type.Object({ userId: UserIdSchema }, { additionalProperties: false });
export const SessionParams = Type.Object({ sessionId: Id('a session id') }, { additionalProperties: false });
export const RevokedCount = Type.Object({ revoked: Type.Integer({ minimum: 0 }) });

// ---- API keys ----------------------------------------------------------------

export const CreateApiKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\x00-\\x1f\\x7f]+$', description: 'what it is for ("booking system")' }),
    scopes: Type.Array(ApiScope, { minItems: 1, maxItems: 5, uniqueItems: true }),
    clinicId: Type.Optional(ClinicIdSchema('bind the key to this clinic: it sees and changes only its records')),
  },
  { additionalProperties: false },
);
export type CreateApiKeyBody = Static<typeof CreateApiKeyBody>;
const apiKeyFields = {
  id: Type.String(),
  name: Type.String(),
  scopes: Type.Array(ApiScope),
  clinicId: Type.Optional(Type.String()),
  createdAt: Time(),
  createdBy: Type.String(),
  lastUsedAt: Type.Optional(Time()),
  revokedAt: Type.Optional(Time()),
};
export const ApiKeySummary = Type.Object(apiKeyFields);
export type ApiKeySummary = Static<typeof ApiKeySummary>;
export const ApiKeyCreated = Type.Object({ ...apiKeyFields, key: Type.String({ description: 'the key: shown this once, never stored' }) });
export type ApiKeyCreated = Static<typeof ApiKeyCreated>;
export const ApiKeyList = Type.Object({ keys: Type.Array(ApiKeySummary) });
export type ApiKeyList = Static<typeof ApiKeyList>;
export const ApiKeyParams = Type.Object({ keyId: Id('an API key id') }, { additionalProperties: false });

// ---- clinics -----------------------------------------------------------------

const ClinicName = Type.String({ minLength: 1, maxLength: 120, pattern: '^[^\\x00-\\x1f\\x7f]+$' });
export const CreateClinicBody = Type.Object({ id: ClinicIdSchema(), name: ClinicName }, { additionalProperties: false });
export type CreateClinicBody = Static<typeof CreateClinicBody>;
/** Rename it, or change what patients are shown (a setting given as null is removed). */
export const UpdateClinicBody = Type.Object(
  {
    name: Type.Optional(ClinicName),
    settings: Type.Optional(
      Type.Object(
        {
          phone: Type.Optional(Type.Union([ClinicSettings.properties.phone, Type.Null()])),
          privacyNoticeText: Type.Optional(Type.Union([ClinicSettings.properties.privacyNoticeText, Type.Null()])),
          privacyNoticeUrl: Type.Optional(Type.Union([ClinicSettings.properties.privacyNoticeUrl, Type.Null()])),
          waitingMessage: Type.Optional(Type.Union([ClinicSettings.properties.waitingMessage, Type.Null()])),
          language: Type.Optional(Type.Union([ClinicSettings.properties.language, Type.Null()])),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateClinicBody = Static<typeof UpdateClinicBody>;
export const ClinicView = Type.Object({ id: Type.String(), name: Type.String(), settings: ClinicSettings, createdAt: Time(), updatedAt: Time() });
export type ClinicView = Static<typeof ClinicView>;
export const ClinicList = Type.Object({ clinics: Type.Array(ClinicView) });
export const ClinicParams = Type.Object({ clinicId: ClinicIdSchema() }, { additionalProperties: false });
export const MemberParams = Type.Object({ clinicId: ClinicIdSchema(), userId: UserIdSchema }, { additionalProperties: false });
/** Roles a clinic membership can give (the trust-wide ones come from the identity provider). */
export const ClinicRole = Type.Enum(['clinician', 'clinic-coordinator', 'clinic-admin'], { description: 'clinician, clinic-coordinator or clinic-admin' });
export const MemberBody = Type.Object({ roles: Type.Array(ClinicRole, { minItems: 1, maxItems: 3, uniqueItems: true }) }, { additionalProperties: false });
export type MemberBody = Static<typeof MemberBody>;
export const MemberView = Type.Object({ userId: Type.String(), roles: Type.Array(StaffRole), source: Type.Enum(['admin', 'idp']), updatedAt: Time() });
export type MemberView = Static<typeof MemberView>;
export const MemberList = Type.Object({ members: Type.Array(MemberView) });

// ---- sign-in -----------------------------------------------------------------

/** GET /auth/login?returnTo=: where to come back to (a path on this server). */
export const LoginQuery = Type.Object(
  { returnTo: Type.Optional(Type.String({ maxLength: 2000, pattern: '^/(?![/\\\\])[\\x21-\\x7e]*$', description: 'a path on this server' })) },
  { additionalProperties: false },
);
/** POST /auth/logout answers where the page goes next (the provider's sign-out, or /signed-out). */
export const SignedOut = Type.Object({ redirect: Type.String() });
export type SignedOut = Static<typeof SignedOut>;
