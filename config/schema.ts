// The configuration's one schema: the TypeScript type comes from it, and every
// value (defaults, config file, environment) is checked against it at start-up.
import { Type, type Static } from 'typebox';

const LogLevel = Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
  description: 'one of fatal, error, warn, info, debug, trace, silent',
});

const StaffRoleNames = Type.Enum(['clinician', 'clinic-coordinator', 'clinic-admin', 'auditor', 'trust-admin'], {
  description: 'clinician, clinic-coordinator, clinic-admin, auditor or trust-admin',
});
const ClaimPath = (description: string) => Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_:./-]+$', description });

/**
 * Sign-in with OpenID Connect. Absent: staff sign in only with console links
 * (single-use tickets). The defaults below (OIDC_DEFAULTS) fill what is left out.
 */
const OidcSchema = Type.Object(
  {
    issuer: Type.String({
      pattern: '^https?://[^\\s?#]+$',
      description: "the identity provider's issuer URL, exactly as its discovery document says (https; http only on loopback, for tests)",
    }),
    clientId: Type.String({ minLength: 1, maxLength: 512, description: 'the client id registered with the identity provider' }),
    clientSecret: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'the client secret (use OIDC_CLIENT_SECRET_FILE)' })),
    clientAuth: Type.Enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt'], {
      description: 'how the server authenticates at the token endpoint: client_secret_basic, client_secret_post or private_key_jwt',
    }),
    clientKeyFile: Type.Optional(Type.String({ minLength: 1, description: 'for private_key_jwt: path to the PEM (PKCS#8) private key' })),
    clientKeyId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "for private_key_jwt: the key's kid, as registered" })),
    scopes: Type.String({ minLength: 6, maxLength: 1000, pattern: '(^|\\s)openid(\\s|$)', description: 'space-separated scopes to ask for; must include openid' }),
    idTokenAlg: Type.Enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'], {
      description: 'the one signature algorithm accepted on ID tokens (pinned; none and HMAC are never accepted)',
    }),
    userinfo: Type.Boolean({ description: 'true to read claims from the UserInfo endpoint too (NHS CIS2 puts roles there)' }),
    acrValues: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'acr_values to ask for (e.g. an assurance level)' })),
    requiredAcr: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { description: 'acr values accepted; empty accepts any' }),
    clockToleranceSeconds: Type.Integer({ minimum: 0, maximum: 120, description: 'seconds of clock difference allowed on ID token times' }),
    endProviderSession: Type.Boolean({ description: "true to also end the provider's session on sign-out, where it offers that" }),
    claims: Type.Object(
      {
        userId: ClaimPath('the claim that is the staff member\'s stable id (sub; oid for Entra; uid for CIS2)'),
        name: ClaimPath('the claim with their display name'),
        roles: Type.Optional(ClaimPath('the claim with their roles (dotted path, e.g. realm_access.roles)')),
        groups: Type.Optional(ClaimPath('the claim with their groups')),
      },
      { additionalProperties: false },
    ),
    roleMap: Type.Record(Type.String({ minLength: 1, maxLength: 200 }), Type.Array(StaffRoleNames, { maxItems: 5 }), {
      description: 'a role or group value from the provider -> the trust-wide roles it gives',
    }),
    clinicMap: Type.Record(
      Type.String({ minLength: 1, maxLength: 200 }),
      Type.Object(
        {
          clinicId: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$', description: 'a clinic id' }),
          roles: Type.Array(StaffRoleNames, { minItems: 1, maxItems: 5 }),
        },
        { additionalProperties: false },
      ),
      { description: 'a group (or role) value from the provider -> membership of a clinic with these roles' },
    ),
  },
  { additionalProperties: false },
);

const Uuid = (description: string) =>
  Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$', description });

/**
 * Sending patients their links by SMS or email through GOV.UK Notify (or a
 * provider with the same API). Absent: links are only returned, never sent.
 * NOTIFY_DEFAULTS fills what is left out.
 */
const NotifySchema = Type.Object(
  {
    baseUrl: Type.String({
      pattern: '^https?://[^\\s?#]+$',
      maxLength: 500,
      description: "the provider's API base URL (GOV.UK Notify: https://api.notifications.service.gov.uk); https, plain http only on loopback, for tests",
    }),
    apiKey: Type.String({
      minLength: 75,
      maxLength: 300,
      pattern: '^\\S+-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
      description: 'the Notify API key, {key name}-{service id}-{secret key} (use NOTIFY_API_KEY_FILE)',
    }),
    smsTemplateId: Uuid("the text message template's id; it may use ((link)), ((clinic)), ((clinician)) and ((when))"),
    emailTemplateId: Uuid("the email template's id; it may use ((link)), ((clinic)), ((clinician)) and ((when))"),
    cancelSmsTemplateId: Type.Optional(Uuid("the cancellation text message template's id (none: cancellations are not sent by text)")),
    cancelEmailTemplateId: Type.Optional(Uuid("the cancellation email template's id (none: cancellations are not sent by email)")),
    bilingualSmsTemplateId: Type.Optional(
      Uuid("a text message template whose whole body is ((message)), for appointments in Welsh (cy): the server writes the bilingual text, Welsh first, link and cancellation alike (none: such a request is refused NOT_CONFIGURED)"),
    ),
    bilingualEmailTemplateId: Type.Optional(
      Uuid('an email template with subject ((subject)) and body ((message)), for appointments in Welsh (cy): the server writes the bilingual text, Welsh first (none: such a request is refused NOT_CONFIGURED)'),
    ),
    timeoutSeconds: Type.Integer({ minimum: 1, maximum: 60, description: 'seconds to wait for the provider on each request, 1 to 60' }),
  },
  { additionalProperties: false },
);

/** What a `notify` section leaves out. */
export const NOTIFY_DEFAULTS = { baseUrl: 'https://api.notifications.service.gov.uk', timeoutSeconds: 10 } as const;

/** What an `oidc` section leaves out. */
export const OIDC_DEFAULTS = {
  clientAuth: 'client_secret_basic',
  scopes: 'openid profile',
  idTokenAlg: 'RS256',
  userinfo: false,
  requiredAcr: [],
  clockToleranceSeconds: 30,
  endProviderSession: true,
  claims: { userId: 'sub', name: 'name' },
  roleMap: {},
  clinicMap: {},
} as const;

export const ConfigSchema = Type.Object(
  {
    server: Type.Object(
      {
        host: Type.String({ minLength: 1, description: 'address to listen on, e.g. 0.0.0.0' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, description: 'TCP port, 0 to 65535' }),
        publicUrl: Type.String({
          pattern: '^https?://[^/?#\\s]+$',
          description: 'the origin users reach, e.g. https://video.trust.nhs.uk (no path)',
        }),
        trustProxy: Type.Union([Type.Boolean(), Type.Integer({ minimum: 1, maximum: 10 }), Type.String({ minLength: 1, maxLength: 1000 })], {
          description: "false; true (one reverse proxy on a loopback or private address); a hop count 1 to 10; or the proxies' addresses/CIDRs, comma-separated",
        }),
        tls: Type.Optional(
          Type.Object(
            {
              certFile: Type.String({ minLength: 1, description: 'path to the PEM certificate chain' }),
              keyFile: Type.String({ minLength: 1, description: 'path to the PEM private key' }),
            },
            { additionalProperties: false, description: 'terminate TLS (HTTP/2) in the server' },
          ),
        ),
        drainSeconds: Type.Integer({ minimum: 0, maximum: 7200, description: 'seconds live consultations may go on after SIGTERM' }),
        metricsToken: Type.Optional(Type.String({ minLength: 16, description: 'bearer token /metrics requires, 16+ characters' })),
        docs: Type.Boolean({ description: 'true to serve the REST API documentation (OpenAPI) at /docs' }),
        headersTimeoutSeconds: Type.Integer({ minimum: 1, maximum: 300, description: 'seconds a client has to send the request headers (slow-header attacks)' }),
        requestTimeoutSeconds: Type.Integer({
          minimum: 1,
          maximum: 3600,
          description: 'seconds a client has to send a whole request on any route; the server uses at least files.uploadTimeoutSeconds + 30',
        }),
        idleTimeoutSeconds: Type.Integer({ minimum: 1, maximum: 3600, description: 'seconds a connection may carry no bytes at all before it is closed' }),
        keepAliveTimeoutSeconds: Type.Integer({ minimum: 1, maximum: 600, description: 'seconds an idle keep-alive connection waits for its next request' }),
        socketPingIntervalSeconds: Type.Integer({ minimum: 1, maximum: 300, description: 'seconds between socket.io heartbeats (a dead connection is noticed after interval + timeout)' }),
        socketPingTimeoutSeconds: Type.Integer({ minimum: 1, maximum: 300, description: 'seconds a socket.io heartbeat may go unanswered before the connection counts as dead' }),
      },
      { additionalProperties: false },
    ),
    redisUrl: Type.Optional(Type.String({ pattern: '^rediss?://', description: 'redis:// or rediss:// URL' })),
    redis: Type.Object(
      {
        commandTimeoutMs: Type.Integer({
          minimum: 100,
          maximum: 60000,
          description: 'milliseconds a Redis command may wait for an answer before its request fails as UNAVAILABLE (retryable)',
        }),
        retryAfterSeconds: Type.Integer({ minimum: 1, maximum: 300, description: 'Retry-After seconds sent with UNAVAILABLE while Redis is unreachable' }),
        sentinels: Type.Optional(
          Type.Array(
            Type.String({ pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$', description: 'host:port of a Redis Sentinel ([v6]:port for an IPv6 address)' }),
            { minItems: 1, maxItems: 16, description: 'the Redis Sentinels to ask for the current master (instead of redisUrl); the client follows a fail-over by itself' },
          ),
        ),
        sentinelName: Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$', description: "the master's name the Sentinels monitor (sentinel monitor <name> ...)" }),
        username: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$', description: "with sentinels: the Redis ACL user of the master and replicas (default: Redis's 'default' user)" })),
        passwordFile: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: "with sentinels: a file holding the master's and replicas' password (requirepass, or the ACL user's)" })),
        sentinelPasswordFile: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: "with sentinels: a file holding the Sentinels' own password (requirepass in sentinel.conf)" })),
        tls: Type.Optional(Type.Boolean({ description: 'with sentinels: speak TLS to the master and replicas (their tls-port)' })),
        sentinelTls: Type.Optional(Type.Boolean({ description: "with sentinels: speak TLS to the Sentinels (their tls-port)" })),
        tlsCaFile: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: "with sentinels: a PEM file of the CA(s) that issued Redis's and the Sentinels' certificates (default: the system's)" })),
      },
      { additionalProperties: false },
    ),
    cluster: Type.Object(
      {
        nodeId: Type.Optional(
          Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$', description: "this node's name among the nodes on one Redis (letters, digits, . _ -; 1 to 63); default: host name and a random suffix, new at each start" }),
        ),
        heartbeatMs: Type.Integer({ minimum: 200, maximum: 10000, description: 'milliseconds between a node\'s heartbeats into Redis (its load, its media address)' }),
        deadAfterMs: Type.Integer({ minimum: 600, maximum: 60000, description: 'milliseconds without a heartbeat after which a node counts as dead and its consultations move; at least 3 heartbeats' }),
        relayTimeoutMs: Type.Integer({ minimum: 500, maximum: 30000, description: "milliseconds a media request relayed to the consultation's node may take before it is refused (retryable)" }),
      },
      { additionalProperties: false },
    ),
    logLevel: LogLevel,
    mediasoup: Type.Object(
      {
        numWorkers: Type.Integer({ minimum: 0, maximum: 64, description: 'a whole number from 0 to 64 (0: one worker per CPU core)' }),
        workerBin: Type.Optional(Type.String({ minLength: 1, description: 'path to a mediasoup-worker binary' })),
        logLevel: Type.Enum(['debug', 'warn', 'error', 'none'], {
          description: 'one of debug, warn, error, none',
        }),
        listenIp: Type.String({ minLength: 1, description: 'IP address the WebRtcServer binds' }),
        announcedAddress: Type.Optional(
          Type.String({ minLength: 1, description: 'address or host name clients are told to send media to' }),
        ),
        port: Type.Integer({
          minimum: 1,
          maximum: 65000,
          description: 'first WebRtcServer port; worker N listens on port+N, UDP and TCP',
        }),
        resumeGraceSeconds: Type.Integer({
          minimum: 1,
          maximum: 600,
          description: "seconds a participant's media (transports, producers) is kept after their last connection drops, for their next connection to take over; kept longer while it still carries media",
        }),
      },
      { additionalProperties: false },
    ),
    auth: Type.Object(
      {
        issuer: Type.String({ minLength: 1, description: 'the iss claim of tokens this server signs' }),
        apiKeys: Type.Array(Type.String({ minLength: 32, description: 'at least 32 characters' }), {
          description: 'API keys for the REST API (booking systems, trust IT)',
        }),
        signingKeyFile: Type.Optional(Type.String({ minLength: 1, description: 'path to a PEM EC P-256 private key' })),
        signingKeyId: Type.String({ minLength: 1, maxLength: 64, description: 'kid of the signing key' }),
        verificationKeys: Type.Array(
          Type.Object(
            { kid: Type.String({ minLength: 1, maxLength: 64 }), publicKeyFile: Type.String({ minLength: 1 }) },
            { additionalProperties: false },
          ),
          { description: 'older public keys still accepted while their tokens live (key rotation)' },
        ),
        ticketTtlMinutes: Type.Integer({
          minimum: 1,
          maximum: 30,
          description: 'minutes a console link (a single-use sign-in ticket from the booking system) may be opened, 1 to 30',
        }),
        sessionTtlHours: Type.Integer({ minimum: 1, maximum: 72, description: "hours a guest's device session may last at most, 1 to 72" }),
        sessionIdleMinutes: Type.Integer({
          minimum: 5,
          maximum: 1440,
          description: 'minutes a staff session may go unused before it ends (an open consultation counts as use), 5 to 1440',
        }),
        sessionAbsoluteHours: Type.Integer({ minimum: 1, maximum: 72, description: 'hours a staff session may last at most, however busy, 1 to 72' }),
        sessionCheckSeconds: Type.Integer({
          minimum: 1,
          maximum: 300,
          description: "seconds between checks that a staff member's open connection still has its session (revoked on another node, or timed out)",
        }),
        apiKeyUseAuditMinutes: Type.Integer({
          minimum: 1,
          maximum: 1440,
          description: "minutes between a key's api_key.used audit records (and lastUsedAt updates), per key and node, 1 to 1440",
        }),
      },
      { additionalProperties: false },
    ),
    oidc: Type.Optional(OidcSchema),
    notify: Type.Optional(NotifySchema),
    appointments: Type.Object(
      {
        joinEarlyMinutes: Type.Integer({ minimum: 0, maximum: 1440, description: 'minutes before start a link opens' }),
        graceMinutes: Type.Integer({ minimum: 0, maximum: 720, description: 'minutes links stay usable after the scheduled end' }),
        retentionHours: Type.Integer({ minimum: 1, maximum: 8760, description: 'hours state is kept after the end' }),
        maxParticipants: Type.Integer({ minimum: 2, maximum: 8, description: 'people in one consultation, 2 to 8' }),
        runningLateHours: Type.Integer({ minimum: 1, maximum: 24, description: 'hours a "running late" notice for a clinician is kept unless cleared' }),
      },
      { additionalProperties: false },
    ),
    security: Type.Object(
      {
        maxFailures: Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'failed requests one address may make per window' }),
        failureWindowSeconds: Type.Integer({ minimum: 1, maximum: 86_400, description: 'seconds, 1 to 86400' }),
        requestsPerMinute: Type.Integer({ minimum: 1, maximum: 100_000_000, description: 'HTTP requests per address per minute' }),
        sessionAttemptsPerMinute: Type.Integer({ minimum: 1, maximum: 100_000_000, description: 'link redemptions per address per minute' }),
        socketsPerParticipant: Type.Integer({ minimum: 1, maximum: 1000, description: 'sockets of one participant counted at once on a node; a newer socket replaces the older, so this bounds handshakes arriving together' }),
        socketsPerAddress: Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'open consultation sockets from one client address on a node (raise it behind a shared NAT)' }),
        socketMessagesPerSecond: Type.Integer({ minimum: 1, maximum: 100_000, description: 'socket messages per second one socket may send on average' }),
        socketMessageBurst: Type.Integer({ minimum: 1, maximum: 100_000, description: 'socket messages one socket may send at once; refused as many again without pausing, it is disconnected' }),
      },
      { additionalProperties: false },
    ),
    audit: Type.Object(
      {
        trustId: Type.String({
          pattern: '^[A-Za-z0-9._-]{1,64}$',
          description: 'the trust whose audit chain this server appends to: 1 to 64 of A-Z a-z 0-9 . _ -',
        }),
        recordSourceAddress: Type.Boolean({ description: "true to record each step's client IP address in the audit trail" }),
      },
      { additionalProperties: false },
    ),
    turn: Type.Object(
      {
        urls: Type.Array(Type.String({ pattern: '^turns?:[^\\s]+$', description: 'a turn: or turns: URL' }), {
          maxItems: 8,
          description: "the trust's own TURN relay URLs; empty for none",
        }),
        secret: Type.Optional(Type.String({ minLength: 16, description: 'the shared secret coturn has as static-auth-secret, 16+ characters' })),
        ttlSeconds: Type.Integer({
          minimum: 60,
          maximum: 3600,
          description: 'seconds a TURN credential lasts, 60 to 3600; the page renews it at half-life while admitted, so this bounds relay use after a send-back, denial or removal',
        }),
        forceRelay: Type.Boolean({ description: 'true to send all media through the relay (iceTransportPolicy relay)' }),
      },
      { additionalProperties: false },
    ),
    chat: Type.Object(
      {
        maxLength: Type.Integer({ minimum: 1, maximum: 4000, description: 'characters in one chat message, 1 to 4000' }),
        retentionSeconds: Type.Integer({
          minimum: 0,
          maximum: 31_536_000,
          description: 'seconds chat is kept after the consultation ends (0: deleted at the end)',
        }),
      },
      { additionalProperties: false },
    ),
    files: Type.Object(
      {
        dir: Type.String({ minLength: 1, description: 'directory for the encrypted files (a volume trust IT chooses)' }),
        maxBytes: Type.Integer({ minimum: 1024, maximum: 104_857_600, description: 'largest file accepted, in bytes (1 KiB to 100 MiB)' }),
        retentionSeconds: Type.Integer({
          minimum: 0,
          maximum: 31_536_000,
          description: 'seconds files (and their key) are kept after the consultation ends (0: deleted at the end)',
        }),
        urlTtlSeconds: Type.Integer({ minimum: 10, maximum: 3600, description: 'seconds a file URL works, 10 to 3600' }),
        sweepSeconds: Type.Integer({ minimum: 1, maximum: 3600, description: 'seconds between checks for content due for deletion' }),
        sanitizeThreads: Type.Integer({ minimum: 1, maximum: 16, description: 'worker threads that check and strip uploaded files, off the event loop (1 to 16)' }),
        sanitizeQueue: Type.Integer({ minimum: 0, maximum: 1000, description: 'uploads that may wait for a checking thread; past this an upload is refused 503 UNAVAILABLE with Retry-After' }),
        sanitizeTimeoutSeconds: Type.Integer({ minimum: 1, maximum: 120, description: 'seconds one file may take to check before it is refused FILE_TOO_COMPLEX and its thread replaced' }),
        sanitizeMemoryMb: Type.Integer({ minimum: 32, maximum: 4096, description: "a checking thread's JavaScript heap limit in MiB; a file that exceeds it is refused FILE_TOO_COMPLEX" }),
        maxPixels: Type.Integer({ minimum: 1_000_000, maximum: 500_000_000, description: 'largest photo accepted, in pixels (width x height from the header, checked before decoding)' }),
        maxProgressivePixels: Type.Integer({
          minimum: 100_000,
          maximum: 500_000_000,
          description: 'largest progressive JPEG or interlaced PNG accepted, in pixels: these must be decoded whole in memory',
        }),
        uploadTimeoutSeconds: Type.Integer({
          minimum: 1,
          maximum: 3600,
          description: 'seconds one upload may take to arrive (20 MB from a phone on a poor link takes a minute or two); slower uploads are cut',
        }),
        maxBytesPerConsultation: Type.Integer({
          minimum: 1024,
          maximum: 10_737_418_240,
          description: 'total bytes of files stored for one consultation (1 KiB to 10 GiB); later files are refused',
        }),
        maxConcurrentUploadsPerAddress: Type.Integer({ minimum: 1, maximum: 10_000, description: 'uploads in progress at once from one client address on a node' }),
        maxConcurrentUploadsPerParticipant: Type.Integer({ minimum: 1, maximum: 100, description: 'uploads in progress at once from one participant on a node' }),
        guestPdf: Type.Boolean({ description: 'true to accept PDFs from guests (patients, interpreters); clinicians may always share PDFs' }),
      },
      { additionalProperties: false },
    ),
    recordSystem: Type.Object(
      {
        webhookUrl: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$', description: "the trust's record system endpoint that receives saved files" })),
        webhookSecret: Type.Optional(Type.String({ minLength: 32, description: 'shared secret for the HMAC-SHA256 signature, 32+ characters' })),
        timeoutSeconds: Type.Integer({ minimum: 1, maximum: 120, description: 'seconds to wait for the record system' }),
      },
      { additionalProperties: false },
    ),
    selfTest: Type.Object(
      {
        enabled: Type.Boolean({ description: 'true to offer the camera and connection check at /check' }),
        maxConcurrent: Type.Integer({ minimum: 1, maximum: 100, description: 'concurrent checks, 1 to 100' }),
        maxSeconds: Type.Integer({ minimum: 5, maximum: 600, description: 'seconds one check may last, 5 to 600' }),
        maxPerAddress: Type.Integer({ minimum: 1, maximum: 100, description: 'concurrent checks from one client address, 1 to 100' }),
        relaySeconds: Type.Integer({
          minimum: 0,
          maximum: 300,
          description:
            'seconds the TURN credentials a check gets for its relay probe last, 0 to 300; 0 gives none (the check then cannot tell "relay only" from "no connection"); only when turn.urls is set',
        }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
