// loadConfig(env) -> Config, or a ConfigError naming every offending key.
// Order: config/default.json, then the JSON file named by CONFIG_FILE, then
// environment variables (the table below). Secrets come from the environment
// or from files it names, never from the repository.
import { readFileSync } from 'node:fs';
import { keyProblems } from './schema-errors.ts';
import { ConfigSchema, NOTIFY_DEFAULTS, OIDC_DEFAULTS, type Config } from './schema.ts';
import defaults from './default.json' with { type: 'json' };

export class ConfigError extends Error {
  readonly problems: { key: string; problem: string }[];
  constructor(problems: { key: string; problem: string }[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p.key}: ${p.problem}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Parse = 'string' | 'int' | 'bool' | 'list' | 'lines-file' | 'text-file' | 'proxy' | 'json';
/** Environment variable -> [config path, how to read it]. */
export const ENV_VARS: Record<string, [string, Parse]> = {
  HOST: ['server.host', 'string'],
  PORT: ['server.port', 'int'],
  PUBLIC_URL: ['server.publicUrl', 'string'],
  TRUST_PROXY: ['server.trustProxy', 'proxy'],
  DRAIN_SECONDS: ['server.drainSeconds', 'int'],
  TLS_CERT_FILE: ['server.tls.certFile', 'string'],
  TLS_KEY_FILE: ['server.tls.keyFile', 'string'],
  METRICS_TOKEN: ['server.metricsToken', 'string'],
  DOCS: ['server.docs', 'bool'],
  HTTP_HEADERS_TIMEOUT_SECONDS: ['server.headersTimeoutSeconds', 'int'],
  HTTP_REQUEST_TIMEOUT_SECONDS: ['server.requestTimeoutSeconds', 'int'],
  HTTP_IDLE_TIMEOUT_SECONDS: ['server.idleTimeoutSeconds', 'int'],
  HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: ['server.keepAliveTimeoutSeconds', 'int'],
  SOCKET_PING_INTERVAL_SECONDS: ['server.socketPingIntervalSeconds', 'int'],
  SOCKET_PING_TIMEOUT_SECONDS: ['server.socketPingTimeoutSeconds', 'int'],
  REDIS_URL: ['redisUrl', 'string'],
  REDIS_COMMAND_TIMEOUT_MS: ['redis.commandTimeoutMs', 'int'],
  REDIS_RETRY_AFTER_SECONDS: ['redis.retryAfterSeconds', 'int'],
  REDIS_SENTINELS: ['redis.sentinels', 'list'],
  REDIS_SENTINEL_NAME: ['redis.sentinelName', 'string'],
  REDIS_USERNAME: ['redis.username', 'string'],
  REDIS_PASSWORD_FILE: ['redis.passwordFile', 'string'],
  REDIS_SENTINEL_PASSWORD_FILE: ['redis.sentinelPasswordFile', 'string'],
  REDIS_TLS: ['redis.tls', 'bool'],
  REDIS_SENTINEL_TLS: ['redis.sentinelTls', 'bool'],
  REDIS_TLS_CA_FILE: ['redis.tlsCaFile', 'string'],
  NODE_ID: ['cluster.nodeId', 'string'],
  CLUSTER_HEARTBEAT_MS: ['cluster.heartbeatMs', 'int'],
  CLUSTER_DEAD_AFTER_MS: ['cluster.deadAfterMs', 'int'],
  CLUSTER_RELAY_TIMEOUT_MS: ['cluster.relayTimeoutMs', 'int'],
  LOG_LEVEL: ['logLevel', 'string'],
  MEDIASOUP_NUM_WORKERS: ['mediasoup.numWorkers', 'int'],
  MEDIASOUP_WORKER_BIN: ['mediasoup.workerBin', 'string'],
  MEDIASOUP_LOG_LEVEL: ['mediasoup.logLevel', 'string'],
  MEDIASOUP_LISTEN_IP: ['mediasoup.listenIp', 'string'],
  MEDIASOUP_ANNOUNCED_ADDRESS: ['mediasoup.announcedAddress', 'string'],
  MEDIASOUP_PORT: ['mediasoup.port', 'int'],
  MEDIA_RESUME_GRACE_SECONDS: ['mediasoup.resumeGraceSeconds', 'int'],
  RUNNING_LATE_HOURS: ['appointments.runningLateHours', 'int'],
  API_KEYS: ['auth.apiKeys', 'list'],
  API_KEYS_FILE: ['auth.apiKeys', 'lines-file'],
  JWT_ISSUER: ['auth.issuer', 'string'],
  JWT_SIGNING_KEY_FILE: ['auth.signingKeyFile', 'string'],
  JWT_SIGNING_KEY_ID: ['auth.signingKeyId', 'string'],
  CONSOLE_TICKET_TTL_MINUTES: ['auth.ticketTtlMinutes', 'int'],
  SESSION_IDLE_MINUTES: ['auth.sessionIdleMinutes', 'int'],
  SESSION_ABSOLUTE_HOURS: ['auth.sessionAbsoluteHours', 'int'],
  SESSION_CHECK_SECONDS: ['auth.sessionCheckSeconds', 'int'],
  API_KEY_USE_AUDIT_MINUTES: ['auth.apiKeyUseAuditMinutes', 'int'],
  OIDC_ISSUER: ['oidc.issuer', 'string'],
  OIDC_CLIENT_ID: ['oidc.clientId', 'string'],
  OIDC_CLIENT_SECRET: ['oidc.clientSecret', 'string'],
  OIDC_CLIENT_SECRET_FILE: ['oidc.clientSecret', 'text-file'],
  OIDC_CLIENT_AUTH: ['oidc.clientAuth', 'string'],
  OIDC_CLIENT_KEY_FILE: ['oidc.clientKeyFile', 'string'],
  OIDC_CLIENT_KEY_ID: ['oidc.clientKeyId', 'string'],
  OIDC_SCOPES: ['oidc.scopes', 'string'],
  OIDC_ID_TOKEN_ALG: ['oidc.idTokenAlg', 'string'],
  OIDC_USERINFO: ['oidc.userinfo', 'bool'],
  OIDC_ACR_VALUES: ['oidc.acrValues', 'string'],
  OIDC_REQUIRED_ACR: ['oidc.requiredAcr', 'list'],
  OIDC_CLOCK_TOLERANCE_SECONDS: ['oidc.clockToleranceSeconds', 'int'],
  OIDC_END_PROVIDER_SESSION: ['oidc.endProviderSession', 'bool'],
  OIDC_USER_ID_CLAIM: ['oidc.claims.userId', 'string'],
  OIDC_NAME_CLAIM: ['oidc.claims.name', 'string'],
  OIDC_ROLES_CLAIM: ['oidc.claims.roles', 'string'],
  OIDC_GROUPS_CLAIM: ['oidc.claims.groups', 'string'],
  OIDC_ROLE_MAP: ['oidc.roleMap', 'json'],
  OIDC_CLINIC_MAP: ['oidc.clinicMap', 'json'],
  AUDIT_TRUST_ID: ['audit.trustId', 'string'],
  AUDIT_RECORD_SOURCE_ADDRESS: ['audit.recordSourceAddress', 'bool'],
  MAX_FAILURES: ['security.maxFailures', 'int'],
  FAILURE_WINDOW_SECONDS: ['security.failureWindowSeconds', 'int'],
  TURN_URLS: ['turn.urls', 'list'],
  TURN_SECRET: ['turn.secret', 'string'],
  TURN_SECRET_FILE: ['turn.secret', 'text-file'],
  TURN_TTL_SECONDS: ['turn.ttlSeconds', 'int'],
  TURN_FORCE_RELAY: ['turn.forceRelay', 'bool'],
  SELF_TEST_MAX_PER_ADDRESS: ['selfTest.maxPerAddress', 'int'],
  SELF_TEST_RELAY_SECONDS: ['selfTest.relaySeconds', 'int'],
  RATE_LIMIT_PER_MINUTE: ['security.requestsPerMinute', 'int'],
  SESSION_RATE_LIMIT_PER_MINUTE: ['security.sessionAttemptsPerMinute', 'int'],
  SOCKETS_PER_PARTICIPANT: ['security.socketsPerParticipant', 'int'],
  SOCKETS_PER_ADDRESS: ['security.socketsPerAddress', 'int'],
  SOCKET_MESSAGES_PER_SECOND: ['security.socketMessagesPerSecond', 'int'],
  SOCKET_MESSAGE_BURST: ['security.socketMessageBurst', 'int'],
  CHAT_MAX_LENGTH: ['chat.maxLength', 'int'],
  CHAT_RETENTION_SECONDS: ['chat.retentionSeconds', 'int'],
  FILES_DIR: ['files.dir', 'string'],
  FILES_MAX_BYTES: ['files.maxBytes', 'int'],
  FILES_RETENTION_SECONDS: ['files.retentionSeconds', 'int'],
  FILES_URL_TTL_SECONDS: ['files.urlTtlSeconds', 'int'],
  FILES_SWEEP_SECONDS: ['files.sweepSeconds', 'int'],
  FILES_SANITIZE_THREADS: ['files.sanitizeThreads', 'int'],
  FILES_SANITIZE_QUEUE: ['files.sanitizeQueue', 'int'],
  FILES_SANITIZE_TIMEOUT_SECONDS: ['files.sanitizeTimeoutSeconds', 'int'],
  FILES_SANITIZE_MEMORY_MB: ['files.sanitizeMemoryMb', 'int'],
  FILES_MAX_PIXELS: ['files.maxPixels', 'int'],
  FILES_MAX_PROGRESSIVE_PIXELS: ['files.maxProgressivePixels', 'int'],
  FILES_UPLOAD_TIMEOUT_SECONDS: ['files.uploadTimeoutSeconds', 'int'],
  FILES_MAX_BYTES_PER_CONSULTATION: ['files.maxBytesPerConsultation', 'int'],
  FILES_UPLOADS_PER_ADDRESS: ['files.maxConcurrentUploadsPerAddress', 'int'],
  FILES_UPLOADS_PER_PARTICIPANT: ['files.maxConcurrentUploadsPerParticipant', 'int'],
  FILES_GUEST_PDF: ['files.guestPdf', 'bool'],
  RECORD_WEBHOOK_URL: ['recordSystem.webhookUrl', 'string'],
  RECORD_WEBHOOK_SECRET: ['recordSystem.webhookSecret', 'string'],
  RECORD_WEBHOOK_SECRET_FILE: ['recordSystem.webhookSecret', 'text-file'],
  RECORD_WEBHOOK_TIMEOUT_SECONDS: ['recordSystem.timeoutSeconds', 'int'],
  NOTIFY_BASE_URL: ['notify.baseUrl', 'string'],
  NOTIFY_API_KEY: ['notify.apiKey', 'string'],
  NOTIFY_API_KEY_FILE: ['notify.apiKey', 'text-file'],
  NOTIFY_SMS_TEMPLATE_ID: ['notify.smsTemplateId', 'string'],
  NOTIFY_EMAIL_TEMPLATE_ID: ['notify.emailTemplateId', 'string'],
  NOTIFY_CANCEL_SMS_TEMPLATE_ID: ['notify.cancelSmsTemplateId', 'string'],
  NOTIFY_CANCEL_EMAIL_TEMPLATE_ID: ['notify.cancelEmailTemplateId', 'string'],
  NOTIFY_BILINGUAL_SMS_TEMPLATE_ID: ['notify.bilingualSmsTemplateId', 'string'],
  NOTIFY_BILINGUAL_EMAIL_TEMPLATE_ID: ['notify.bilingualEmailTemplateId', 'string'],
  NOTIFY_TIMEOUT_SECONDS: ['notify.timeoutSeconds', 'int'],
};

type Json = Record<string, unknown>;

/** http://127.x.x.x, http://[::1] or http://localhost: a test identity provider on this machine. */
function isLoopbackUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
  } catch {
    return false;
  }
}

function setPath(target: Json, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Json;
  }
  node[parts.at(-1)!] = value;
}

function merge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)
        ? merge(b as Json, v as Json)
        : v;
  }
  return out;
}

/** An unparseable value stays a string so the schema names it with the rest. */
function parseEnv(raw: string, how: Parse): unknown {
  switch (how) {
    case 'int':
      return /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw;
    case 'bool':
      return raw === 'true' || raw === '1' ? true : raw === 'false' || raw === '0' ? false : raw;
    case 'list':
      return raw.split(',').map((s) => s.trim()).filter(Boolean);
    case 'lines-file':
      return readFileSync(raw, 'utf8').split('\n').map((s) => s.trim()).filter((s) => s && !s.startsWith('#'));
    case 'proxy':
      return raw === 'true' || raw === 'false' ? raw === 'true' : /^\d+$/.test(raw) ? Number(raw) : raw;
    case 'text-file':
      return readFileSync(raw, 'utf8').trim();
    case 'json':
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        return raw; // the schema names it: a string where an object belongs
      }
    case 'string':
      return raw;
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: { key: string; problem: string }[] = [];
  const source = new Map<string, string>(); // config path -> where it came from
  let merged: Json = structuredClone(defaults);

  if (env.CONFIG_FILE) {
    try {
      const fromFile = JSON.parse(readFileSync(env.CONFIG_FILE, 'utf8')) as unknown;
      if (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile)) throw new Error('not an object');
      merged = merge(merged, fromFile as Json);
    } catch (e) {
      problems.push({ key: 'CONFIG_FILE', problem: `cannot read a JSON object from the file it names (${(e as Error).message})` });
    }
  }
  const explicitPublicUrl = env.PUBLIC_URL !== undefined || (merged.server as Json | undefined)?.publicUrl !== defaults.server.publicUrl;
  for (const [name, [path, how]] of Object.entries(ENV_VARS)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    try {
      setPath(merged, path, parseEnv(raw, how));
      source.set(path, `env ${name}`);
    } catch (e) {
      problems.push({ key: `${path} (env ${name})`, problem: `cannot read the file it names (${(e as NodeJS.ErrnoException).code ?? 'error'})` });
    }
  }
  // Links must point at the port really served when only PORT was changed.
  const server = merged.server as Json;
  if (!explicitPublicUrl && typeof server.port === 'number' && server.port !== 0) {
    server.publicUrl = `http://localhost:${server.port}`;
  }

  // An oidc section (from the file or OIDC_* variables) turns sign-in on; what it leaves out has defaults.
  const oidcSection: unknown = merged.oidc;
  if (oidcSection && typeof oidcSection === 'object' && !Array.isArray(oidcSection)) {
    merged.oidc = merge(structuredClone(OIDC_DEFAULTS), oidcSection as Json);
  }
  const oidc = merged.oidc as { issuer?: unknown; clientAuth?: unknown; clientSecret?: unknown; clientKeyFile?: unknown; clientKeyId?: unknown } | undefined;
  if (oidc && typeof oidc.issuer === 'string' && /^http:/.test(oidc.issuer) && !isLoopbackUrl(oidc.issuer)) {
    problems.push({ key: 'oidc.issuer (env OIDC_ISSUER)', problem: 'must be https (plain http only for a loopback address, in tests)' });
  }
  if (oidc && oidc.clientAuth !== 'private_key_jwt' && !oidc.clientSecret) {
    problems.push({ key: 'oidc.clientSecret (env OIDC_CLIENT_SECRET_FILE)', problem: 'missing (needed unless oidc.clientAuth is private_key_jwt)' });
  }
  if (oidc && oidc.clientAuth === 'private_key_jwt' && (!oidc.clientKeyFile || !oidc.clientKeyId)) {
    problems.push({ key: 'oidc.clientKeyFile (env OIDC_CLIENT_KEY_FILE, OIDC_CLIENT_KEY_ID)', problem: 'missing (private_key_jwt needs the key file and its kid)' });
  }
  // A notify section (from the file or NOTIFY_* variables) turns sending links on; the same defaults rule.
  const notifySection: unknown = merged.notify;
  if (notifySection && typeof notifySection === 'object' && !Array.isArray(notifySection)) {
    merged.notify = merge(structuredClone(NOTIFY_DEFAULTS), notifySection as Json);
  }
  const notify = merged.notify as { baseUrl?: unknown } | undefined;
  if (notify && typeof notify.baseUrl === 'string' && /^http:/.test(notify.baseUrl) && !isLoopbackUrl(notify.baseUrl)) {
    problems.push({ key: 'notify.baseUrl (env NOTIFY_BASE_URL)', problem: 'must be https (plain http only for a loopback address, in tests)' });
  }

  for (const p of keyProblems(ConfigSchema, merged)) {
    const from = [...source].find(([path]) => p.key === path || p.key.startsWith(`${path}.`))?.[1];
    problems.push({ key: from ? `${p.key} (${from})` : p.key, problem: p.problem });
  }
  const turn = merged.turn as { urls?: unknown[]; secret?: unknown } | undefined;
  if (turn?.urls?.length && !turn.secret) {
    problems.push({ key: 'turn.secret (env TURN_SECRET or TURN_SECRET_FILE)', problem: 'missing (expected the shared secret coturn has, needed when turn.urls is set)' });
  }
  const rs = merged.recordSystem as { webhookUrl?: unknown; webhookSecret?: unknown } | undefined;
  if (rs?.webhookUrl && !rs.webhookSecret) {
    problems.push({ key: 'recordSystem.webhookSecret (env RECORD_WEBHOOK_SECRET or RECORD_WEBHOOK_SECRET_FILE)', problem: 'missing (needed to sign deliveries when recordSystem.webhookUrl is set)' });
  }
  const cluster = merged.cluster as { heartbeatMs?: unknown; deadAfterMs?: unknown } | undefined;
  if (typeof cluster?.heartbeatMs === 'number' && typeof cluster.deadAfterMs === 'number' && cluster.deadAfterMs < 3 * cluster.heartbeatMs) {
    problems.push({ key: 'cluster.deadAfterMs (env CLUSTER_DEAD_AFTER_MS)', problem: 'must be at least 3 heartbeats (cluster.heartbeatMs), or one late heartbeat would declare a live node dead' });
  }
  const redis = merged.redis as { sentinels?: unknown } | undefined;
  if (merged.redisUrl !== undefined && redis?.sentinels !== undefined) {
    problems.push({ key: 'redis.sentinels (env REDIS_SENTINELS)', problem: 'set either REDIS_URL (one Redis) or REDIS_SENTINELS (Sentinels that name the master), not both' });
  }
  // With REDIS_URL the URL carries the user, the password and TLS (rediss://), as it always has: one place for each.
  const auth = merged.redis as Record<string, unknown> | undefined;
  if (merged.redisUrl !== undefined) {
    for (const [key, env] of [
      ['username', 'REDIS_USERNAME'],
      ['passwordFile', 'REDIS_PASSWORD_FILE'],
      ['sentinelPasswordFile', 'REDIS_SENTINEL_PASSWORD_FILE'],
      ['tls', 'REDIS_TLS'],
      ['sentinelTls', 'REDIS_SENTINEL_TLS'],
      ['tlsCaFile', 'REDIS_TLS_CA_FILE'],
    ] as const) {
      if (auth?.[key] !== undefined && auth[key] !== false) {
        problems.push({ key: `redis.${key} (env ${env})`, problem: 'is for REDIS_SENTINELS; with REDIS_URL, the URL says it (redis://user:password@host:port, rediss:// for TLS)' });
      }
    }
  }
  if (Array.isArray(redis?.sentinels)) {
    redis.sentinels.forEach((s, i) => {
      const port = typeof s === 'string' ? Number(/:(\d+)$/.exec(s)?.[1]) : Number.NaN;
      if (port < 1 || port > 65535) problems.push({ key: `redis.sentinels.${String(i)} (env REDIS_SENTINELS)`, problem: 'expected a port from 1 to 65535' });
    });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return merged as Config;
}
