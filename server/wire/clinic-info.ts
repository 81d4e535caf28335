// What a patient is shown about the clinic (its settings, set through the
// clinic API): on the consent step, the waiting page and the error pages.
import { Type, type Static } from 'typebox';
import { LANGUAGES } from './language.ts';

const Text = (maxLength: number, description: string) => Type.String({ minLength: 1, maxLength, pattern: '^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]+$', description });

/** The clinic settings patients see. Plain text only (shown as text, never as HTML). */
export const ClinicSettings = Type.Object(
  {
    phone: Type.Optional(Type.String({ minLength: 3, maxLength: 30, pattern: '^[0-9 +()-]+$', description: 'a contact phone number for patients' })),
    privacyNoticeText: Type.Optional(Text(2000, 'the privacy notice, as plain text, shown on the consent step')),
    privacyNoticeUrl: Type.Optional(Type.String({ maxLength: 500, pattern: '^https://[^\\s<>"]+$', description: "a link to the trust's privacy notice (https)" })),
    waitingMessage: Type.Optional(Text(500, 'a message shown to patients while they wait')),
    language: Type.Optional(
      Type.Enum([...LANGUAGES], { description: "the language of its appointments' links and messages unless an appointment names its own: en-GB (default) or cy (Welsh: links open in Welsh, SMS and email are bilingual, Welsh first)" }),
    ),
  },
  { additionalProperties: false },
);
export type ClinicSettings = Static<typeof ClinicSettings>;

export const ClinicPublicView = Type.Object({ name: Type.String(), ...ClinicSettings.properties });
export type ClinicPublicView = Static<typeof ClinicPublicView>;

/**
 * What the views pushed over the socket carry of the clinic: what the waiting
 * page shows. The consent step's privacy notice came with the session
 * (wire/session.ts), so it is not repeated in every push.
 */
export const ClinicWaitingView = Type.Object({ name: Type.String(), phone: ClinicSettings.properties.phone, waitingMessage: ClinicSettings.properties.waitingMessage });
export type ClinicWaitingView = Static<typeof ClinicWaitingView>;
