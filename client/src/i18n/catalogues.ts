// Every string a person reads, by language and namespace (one JSON file per
// area of the pages). en-GB is the reference: its keys type t() (i18next.d.ts),
// and test/unit/i18n-catalogues.test.ts fails when cy lacks a key or a plural form.
import enCommon from './en-GB/common.json' with { type: 'json' };
import enJoin from './en-GB/join.json' with { type: 'json' };
import enCall from './en-GB/call.json' with { type: 'json' };
import enCheck from './en-GB/check.json' with { type: 'json' };
import enPrecall from './en-GB/precall.json' with { type: 'json' };
import enConsole from './en-GB/console.json' with { type: 'json' };
import enShared from './en-GB/shared.json' with { type: 'json' };
import cyCommon from './cy/common.json' with { type: 'json' };
import cyJoin from './cy/join.json' with { type: 'json' };
import cyCall from './cy/call.json' with { type: 'json' };
import cyCheck from './cy/check.json' with { type: 'json' };
import cyPrecall from './cy/precall.json' with { type: 'json' };
import cyConsole from './cy/console.json' with { type: 'json' };
import cyShared from './cy/shared.json' with { type: 'json' };
import type { Language } from './languages.ts';

export const NAMESPACES = ['common', 'join', 'call', 'check', 'precall', 'console', 'shared'] as const;

const en = { common: enCommon, join: enJoin, call: enCall, check: enCheck, precall: enPrecall, console: enConsole, shared: enShared };

/** The shape every language follows: English's. */
export type Catalogue = typeof en;

export const CATALOGUES: Record<Language, Record<keyof Catalogue, object>> = {
  'en-GB': en,
  cy: { common: cyCommon, join: cyJoin, call: cyCall, check: cyCheck, precall: cyPrecall, console: cyConsole, shared: cyShared },
};
