// What every command of the admin CLI (scripts/cli.ts) shares: the REST API
// client, the two kinds of error (usage: nothing was sent; request: the server
// refused or could not be reached), the command shape, and output helpers.
import { ID_PATTERN } from '../../server/core/ids.ts';
import type { ErrorBody } from '../../server/wire/errors.ts';

export class UsageError extends Error {}
/** The server answered with an error, or could not be reached. */
export class RequestError extends Error {}

export interface Option {
  value: string;
  help: string;
  required?: boolean;
  /** May be given more than once (`--scope a --scope b`); its value is then a string[]. */
  multiple?: boolean;
}

export type Values = Record<string, string | string[] | boolean | undefined>;

export interface Ctx {
  values: Values;
  positionals: string[];
  api: Api;
}

export interface Command {
  summary: string;
  options: Record<string, Option>;
  flags?: Record<string, string>;
  positional?: { name: string; help: string };
  /** False for commands that never talk to the server. */
  server: boolean;
  run(ctx: Ctx): Promise<number>;
}

export class Api {
  readonly base: string;
  readonly #key: string;
  constructor(base: string, key: string) {
    this.base = base;
    this.#key = key;
  }

  async request(method: string, path: string, body?: unknown): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.#key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new RequestError(`cannot reach ${this.base}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
    }
    if (!res.ok) {
      const text = await res.text();
      let err: Partial<ErrorBody> = {};
      try {
        err = JSON.parse(text) as Partial<ErrorBody>;
      } catch {
        // not one of our errors (a proxy in between?): show the status alone
      }
      const lines = [err.code && err.message ? `${err.code}: ${err.message}` : `HTTP ${String(res.status)} from ${method} ${path}`];
      for (const d of err.details ?? []) lines.push(`  - ${d.key}: ${d.problem}`);
      throw new RequestError(lines.join('\n'));
    }
    return res;
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await (await this.request(method, path, body)).json()) as T;
  }
}

/** A value that must be a random id (checked before anything is sent). */
export function checkId(v: string, what: string): string {
  if (!new RegExp(ID_PATTERN).test(v)) throw new UsageError(`${what} must be an id: 22 characters of A-Z a-z 0-9 _ - (got "${v}")`);
  return v;
}

export const idOption = (values: Values, name: string): string => checkId(String(values[name]), `--${name}`);

/** An ISO 8601 date-time WITH a zone (Z or +01:00), so it cannot be read in the wrong one; as UTC ISO. */
export function timeOption(values: Values, name: string): string {
  const v = String(values[name]);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(v) || Number.isNaN(Date.parse(v))) {
    throw new UsageError(`--${name} must be an ISO 8601 date-time with a zone, e.g. 2026-12-01T14:30:00Z (got "${v}")`);
  }
  return new Date(v).toISOString();
}

export function durationOption(v: string): number {
  if (!/^\d{1,4}$/.test(v)) throw new UsageError(`--duration must be a whole number of minutes (got "${v}")`);
  return Number(v);
}

export const table = (rows: [string, string][]): string => {
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
};

export const out = (text: string): void => {
  process.stdout.write(`${text}\n`);
};
