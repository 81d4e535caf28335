// The languages pages, links and messages come in: one list for the server
// (appointments, clinics, SMS and email texts) and the browser client alike.
// The codes and rules are in language-codes.ts (no TypeBox, for the pages);
// this adds the schema the REST API validates with.
import { Type, type Static } from 'typebox';
import { LANGUAGES } from './language-codes.ts';

export { DEFAULT_LANGUAGE, isLanguage, LANGUAGE_PARAM, LANGUAGES, languageOfTag } from './language-codes.ts';

export const Language = Type.Enum([...LANGUAGES], { description: 'en-GB (English) or cy (Welsh)' });
export type Language = Static<typeof Language>;
