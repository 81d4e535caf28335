// The identity provider's metadata (OpenID Connect discovery), fetched on first
// use rather than at start-up, so the server boots while the provider is down.
// A success is kept for an hour (NHS CIS2 asks relying parties to re-read it
// at most hourly; keys rotate through it); a failure is remembered and retried
// after a back-off that doubles up to a cap, so a provider outage does not
// turn every sign-in attempt into a new request to it.
import type { Configuration } from 'openid-client';

export interface DiscoveryPolicy {
  /** How long a discovered configuration is used before it is read again. */
  maxAgeMs: number;
  firstBackoffMs: number;
  maxBackoffMs: number;
}

export const DISCOVERY_POLICY: DiscoveryPolicy = { maxAgeMs: 3_600_000, firstBackoffMs: 2_000, maxBackoffMs: 300_000 };

export class ProviderUnavailable extends Error {
  constructor(options?: { cause?: unknown }) {
    super('the identity provider could not be reached', options);
    this.name = 'ProviderUnavailable';
  }
}

export class CachedDiscovery {
  readonly #discover: () => Promise<Configuration>;
  readonly #policy: DiscoveryPolicy;
  readonly #now: () => number;
  #current: { config: Configuration; at: number } | null = null;
  #pending: Promise<Configuration> | null = null;
  #failures = 0;
  #retryAt = 0;

  constructor(discover: () => Promise<Configuration>, policy: DiscoveryPolicy, now: () => number) {
    this.#discover = discover;
    this.#policy = policy;
    this.#now = now;
  }

  /** The configuration: cached, refreshed when old (an old one is still used if the refresh fails). */
  async get(): Promise<Configuration> {
    const now = this.#now();
    const current = this.#current;
    if (current && now - current.at < this.#policy.maxAgeMs) return current.config;
    if (now < this.#retryAt) {
      if (current) return current.config;
      throw new ProviderUnavailable();
    }
    this.#pending ??= this.#refresh().finally(() => {
      this.#pending = null;
    });
    try {
      return await this.#pending;
    } catch (e) {
      if (current) return current.config;
      throw e;
    }
  }

  async #refresh(): Promise<Configuration> {
    try {
      const config = await this.#discover();
      this.#current = { config, at: this.#now() };
      this.#failures = 0;
      this.#retryAt = 0;
      return config;
    } catch (e) {
      this.#failures += 1;
      this.#retryAt = this.#now() + Math.min(this.#policy.maxBackoffMs, this.#policy.firstBackoffMs * 2 ** (this.#failures - 1));
      throw new ProviderUnavailable({ cause: e });
    }
  }
}
