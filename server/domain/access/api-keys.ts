// REST API keys: scoped, optionally bound to one clinic, stored hashed,
// revocable. A key reads `cr_<keyId>_<secret>`: the id finds the record, the
// secret (32 random bytes) is shown once and only its SHA-256 is kept, compared
// with timingSafeEqual. Keys from config (API_KEYS, API_KEYS_FILE) stay as
// bootstrap keys with scope admin: they are not in the store, so they cannot be
// revoked here (remove them from the config instead).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '../../core/errors.ts';
import { randomId, type ApiKeyId, type ClinicId } from '../../core/ids.ts';
import { cleanText } from '../../core/text.ts';
import type { EventRecorder } from '../events.ts';
import type { Actor, ApiKeyRecord, ApiScope } from '../model.ts';
import type { Stores } from '../stores.ts';
import type { Credential } from './permissions.ts';

export type ApiKeyCredential = Extract<Credential, { kind: 'api-key' }>;

/** A key as the list shows it: a stored record without its hash, or a bootstrap key. */
export type ApiKeyView = Omit<ApiKeyRecord, 'hash'>;

export interface NewApiKey {
  name: string;
  scopes: readonly ApiScope[];
  clinicId?: string | undefined;
}

/** A key from the config: its id is `config-<n>` (1-based, in config order). */
export interface BootstrapKey {
  id: string;
  key: string;
}

export interface ApiKeyPolicy {
  /** api_key.used is recorded (and lastUsedAt stored) at most this often per key on one node. */
  usedEverySeconds: number;
}

export const DEFAULT_API_KEY_POLICY: ApiKeyPolicy = { usedEverySeconds: 600 };

const KEY_FORMAT = /^cr_([A-Za-z0-9_-]{22})_([A-Za-z0-9_-]{43})$/;
const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** The key text a record's secret makes. */
export const formatKey = (id: string, secret: string): string => `cr_${id}_${secret}`;

/** The bootstrap keys of a list of configured keys, numbered from 1. */
export const bootstrapKeys = (keys: readonly string[]): BootstrapKey[] => keys.map((key, i) => ({ id: `config-${String(i + 1)}`, key }));

const actorRef = (a: Actor) => `${a.role}:${a.id}`;

export class ApiKeyService {
  readonly #stores: Stores;
  readonly #events: EventRecorder;
  readonly #now: () => Date;
  readonly #policy: ApiKeyPolicy;
  readonly #bootstrap: { id: string; digest: Buffer }[];
  readonly #startedAt: string;
  /** Per key: when its use was last noted by this node (the throttle), and bootstrap keys' last use. */
  readonly #noted = new Map<string, number>();

  constructor(deps: { stores: Stores; events: EventRecorder; now: () => Date; bootstrap: readonly BootstrapKey[]; policy?: ApiKeyPolicy }) {
    this.#stores = deps.stores;
    this.#events = deps.events;
    this.#now = deps.now;
    this.#policy = deps.policy ?? DEFAULT_API_KEY_POLICY;
    this.#bootstrap = deps.bootstrap.map((b) => ({ id: b.id, digest: sha256(b.key) }));
    this.#startedAt = this.#now().toISOString();
  }

  /** Makes a key; the returned `key` is the only time its secret exists outside the caller's hands. */
  async create(input: NewApiKey, actor: Actor): Promise<{ record: ApiKeyView; key: string }> {
    const name = cleanText(input.name, { maxLength: 100 });
    if (name.length === 0) throw new AppError('BAD_REQUEST', 'A name must have visible characters.', { details: [{ key: 'body.name', problem: 'empty' }] });
    const scopes = [...new Set(input.scopes)];
    if (scopes.length === 0) throw new AppError('BAD_REQUEST', 'A key needs at least one scope.', { details: [{ key: 'body.scopes', problem: 'empty' }] });
    let clinicId: ClinicId | undefined;
    if (input.clinicId !== undefined) {
      clinicId = input.clinicId as ClinicId;
      if (!(await this.#stores.clinics.get(clinicId))) {
        throw new AppError('NOT_FOUND', 'No such clinic.', { details: [{ key: 'body.clinicId', problem: 'no such clinic' }] });
      }
    }
    const id = randomId<ApiKeyId>();
    const secret = randomBytes(32).toString('base64url');
    const record: ApiKeyRecord = {
      id,
      name,
      hash: sha256(secret).toString('base64url'),
      scopes,
      ...(clinicId ? { clinicId } : {}),
      createdAt: this.#now().toISOString(),
      createdBy: actorRef(actor),
    };
    await this.#stores.apiKeys.create(record);
    await this.#events.record('api_key.created', null, actor, { subject: id });
    const { hash: _hash, ...view } = record;
    return { record: view, key: formatKey(id, secret) };
  }

  /** Every key, bootstrap keys first, then stored ones oldest first (revoked ones included, marked). */
  async list(): Promise<ApiKeyView[]> {
    const boot: ApiKeyView[] = this.#bootstrap.map((b, i) => {
      const used = this.#noted.get(b.id);
      return {
        id: b.id as ApiKeyId,
        name: `configured key ${String(i + 1)} (API_KEYS)`,
        scopes: ['admin'],
        createdAt: this.#startedAt,
        createdBy: 'config',
        ...(used === undefined ? {} : { lastUsedAt: new Date(used).toISOString() }),
      };
    });
    const stored = (await this.#stores.apiKeys.list()).map(({ hash: _hash, ...view }) => view);
    return [...boot, ...stored];
  }

  /** Revokes a stored key at once (every node: verify reads the store). NOT_FOUND for unknown ids and bootstrap keys. */
  async revoke(id: string, actor: Actor): Promise<ApiKeyView> {
    const before = await this.#stores.apiKeys.get(id as ApiKeyId);
    if (!before) throw new AppError('NOT_FOUND', 'No such API key (keys from API_KEYS are removed from the config instead).');
    const after = await this.#stores.apiKeys.revoke(id as ApiKeyId, this.#now().toISOString());
    if (!after) throw new AppError('NOT_FOUND', 'No such API key.');
    if (!before.revokedAt) await this.#events.record('api_key.revoked', null, actor, { subject: id });
    const { hash: _hash, ...view } = after;
    return view;
  }

  /** The credential a bearer key gives, or null when it is unknown, malformed, tampered with or revoked. */
  async verify(bearer: string): Promise<ApiKeyCredential | null> {
    const boot = this.#matchBootstrap(bearer);
    if (boot) {
      await this.#used(boot, false);
      return { kind: 'api-key', keyId: boot, scopes: ['admin'] };
    }
    const m = KEY_FORMAT.exec(bearer);
    if (!m) return null;
    const record = await this.#stores.apiKeys.get(m[1]! as ApiKeyId);
    if (!record || record.revokedAt) return null;
    const stored = Buffer.from(record.hash, 'base64url');
    const given = sha256(m[2]!);
    if (stored.length !== given.length || !timingSafeEqual(stored, given)) return null;
    await this.#used(record.id, true);
    return { kind: 'api-key', keyId: record.id, scopes: record.scopes, ...(record.clinicId ? { clinicId: record.clinicId } : {}) };
  }

  /** Compares with every bootstrap key (no early exit), so timing tells nothing about which or how many. */
  #matchBootstrap(bearer: string): string | null {
    if (this.#bootstrap.length === 0) return null;
    const d = sha256(bearer);
    let found: string | null = null;
    for (const b of this.#bootstrap) if (timingSafeEqual(b.digest, d)) found = b.id;
    return found;
  }

  /**
   * Notes a key's use: lastUsedAt and an api_key.used record, at most once per
   * usedEverySeconds per key on this node. Awaited: a use that cannot be put on
   * the audit trail is refused like any other step that cannot be (and noted
   * again on the next try).
   */
  async #used(id: string, stored: boolean): Promise<void> {
    const now = this.#now().getTime();
    const last = this.#noted.get(id);
    if (last !== undefined && now - last < this.#policy.usedEverySeconds * 1000) return;
    this.#noted.set(id, now);
    const at = new Date(now).toISOString();
    try {
      if (stored) await this.#stores.apiKeys.markUsed(id as ApiKeyId, at);
      await this.#events.record('api_key.used', null, { role: 'api', id }, { subject: id });
    } catch (e) {
      if (this.#noted.get(id) === now) this.#noted.delete(id);
      throw e;
    }
  }
}
