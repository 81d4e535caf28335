// Lint: typescript-eslint's type-aware recommended rules over everything we write.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The layers (../shared/STYLE.md), enforced: dependencies point one way,
//   config <- core <- wire <- domain <- media, stores, content <- edge <- http, signaling <- app <- main,
// and nothing shipped imports test code. One `no-restricted-imports` block per
// folder (a later block replaces an earlier one's options for the same rule,
// so each folder lists all it forbids). Relative imports are matched by
// regex on the specifier as written: `(\.\./)+http/` is "any http/ folder up the tree".
const up = '^(\\.\\./)+';
const forbid = (folders, why) => ({ regex: `${up}(${folders.join('|')})/`, message: why });
const forbidPkgs = (pkgs, why) => ({ regex: `^(${pkgs.join('|')})(/.*)?$`, message: why });
const NOT_SHIPPED = forbid(['test', 'support', 'bench', 'scripts'], 'shipped code never imports tests, test support, benchmarks or scripts.');
const ROOT_FILES = { regex: `${up}(app|deps|main)\\.ts$`, message: 'only main.ts and the composition root (deps.ts, app.ts) see everything.' };
const TRANSPORT_PKGS = ['fastify', '@fastify/[^/]+', 'socket\\.io', 'socket\\.io-client'];
const HEAVY_PKGS = ['ioredis', 'mediasoup', 'sharp', 'piscina', 'node:worker_threads', 'worker_threads'];

function layer(files, patterns, { shipped = true } = {}) {
  const all = shipped ? [...patterns, NOT_SHIPPED] : patterns;
  return { files, rules: { 'no-restricted-imports': ['error', { patterns: all.map((p) => ({ ...p, caseSensitive: true })) }] } };
}

function layers() {
  const server = 'http|signaling|stores|media|content|files-worker|edge|wire|boot|observability|integrations|cluster'.split('|');
  const except = (...keep) => server.filter((f) => !keep.includes(f));
  return [
    layer(['server/**', 'config/**', 'client/**'], []),
    layer(['server/core/**'], [{ regex: '^\\.\\./', message: 'server/core imports nothing internal: it is the bottom of the server.' }]),
    layer(['server/domain/**'], [
      forbid(except('wire'), 'domain is pure logic over store interfaces: it imports core and the wire shapes (server/wire/) only.'),
      forbid(['config'], 'domain gets its policy as plain options, not the config.'),
      ROOT_FILES,
      forbidPkgs([...TRANSPORT_PKGS, ...HEAVY_PKGS], 'domain never imports a transport, Redis, mediasoup, sharp or worker threads.'),
    ]),
    layer(['server/media/**'], [
      { regex: '^\\.\\./(?!core/)', message: 'media is mediasoup only: it imports core and nothing else internal.' },
      forbidPkgs([...TRANSPORT_PKGS, 'ioredis', 'sharp', 'piscina'], 'media is mediasoup only.'),
    ]),
    layer(['server/stores/**'], [
      forbid(except('stores'), 'stores implement the domain store interfaces: they import domain and core only.'),
      ROOT_FILES,
      forbidPkgs([...TRANSPORT_PKGS, 'mediasoup', 'sharp', 'piscina'], 'stores are Redis, memory or disk only.'),
    ]),
    layer(['server/content/**'], [
      forbid(except('content'), 'content (file checking) imports domain types and core only.'),
      ROOT_FILES,
      forbidPkgs([...TRANSPORT_PKGS, 'ioredis', 'mediasoup', 'piscina'], 'content checks bytes; it runs in worker threads, started by files-worker.'),
    ]),
    layer(['server/edge/**'], [
      forbid(except('edge', 'wire'), 'edge sits below http and signaling: it imports domain types, wire and core only.'),
      ROOT_FILES,
      forbidPkgs([...TRANSPORT_PKGS, ...HEAVY_PKGS], 'edge is shared by every transport; no transport or heavy library.'),
    ]),
    // wire is every shape that crosses the wire, read by the server and the browser client alike.
    layer(['server/wire/**'], [
      { regex: '^\\.\\./(?!core/)', message: 'wire imports only typebox and core (ids, errors): the domain, the transports and the client import it.' },
      { regex: '^(?!typebox$|\\.)', message: 'wire imports only typebox and core (ids, errors).' },
    ]),
    // i18n: the server's own words (SMS, email, server-rendered pages) by language; it sits beside wire.
    layer(['server/i18n/**'], [
      { regex: '^\\.\\./(?!core/|wire/)', message: 'server/i18n imports only wire and core: the domain and http use it.' },
      forbidPkgs([...TRANSPORT_PKGS, ...HEAVY_PKGS], 'server/i18n is words only.'),
    ]),
    layer(['server/http/**'], [
      forbid(['signaling'], 'http and signaling never import each other: share code through edge/ or wire/.'),
      forbid(['media', 'stores', 'content', 'files-worker', 'boot'], 'http calls domain services; it never touches mediasoup, stores, file checking or start-up code.'),
      ROOT_FILES,
      forbidPkgs(['socket\\.io', ...HEAVY_PKGS], 'http is Fastify only.'),
    ]),
    layer(['server/signaling/**'], [
      forbid(['http'], 'http and signaling never import each other: share code through edge/ or wire/.'),
      forbid(['stores', 'content', 'files-worker', 'boot'], 'signaling calls domain services and media; never stores, file checking or start-up code.'),
      ROOT_FILES,
      forbidPkgs(['fastify', 'ioredis', 'sharp', 'piscina', 'node:worker_threads'], 'signaling is socket.io (and media) only.'),
    ]),
    // cluster: what the nodes share through Redis (registry, placement, bus, relay); signalling sees its contract only.
    layer(['server/cluster/**'], [
      forbid(except('cluster', 'wire'), 'cluster is Redis between nodes: it imports domain types, wire and core only.'),
      ROOT_FILES,
      forbidPkgs([...TRANSPORT_PKGS, 'mediasoup', 'sharp', 'piscina'], 'cluster talks to Redis only; signalling and media use it through its contract.'),
    ]),
    layer(['server/boot/**'], [forbid(['http', 'signaling', 'media', 'content', 'files-worker'], 'boot reads files and connects Redis; deps.ts does the wiring.'), ROOT_FILES]),
    layer(['config/**'], [{ regex: '^\\.\\./', message: 'config imports no server (or any other) code: everything else depends on it.' }]),
    layer(['client/**'], [
      { regex: `${up}server/(?!wire/)`, message: 'the client imports only the wire shapes (server/wire/).' },
      { regex: '^node:', message: 'the client runs in the browser.' },
    ]),
    layer(['bench/**', 'scripts/**', 'support/**'], [forbid(['test'], 'bench, scripts and support never import test/: shared helpers live in support/.')], { shipped: false }),
  ];
}

export default tseslint.config(
  { ignores: ['node_modules/', 'client/dist/', 'test-results/', 'bench/results/', 'scripts/offline-worker/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ['eslint.config.js'] }, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      'no-console': ['error', { allow: ['error', 'warn'] }],
      // Fastify plugins and socket handlers are async by contract even when they do not await.
      '@typescript-eslint/require-await': 'off',
    },
  },
  { files: ['test/**', 'scripts/**', 'bench/**', 'support/**'], rules: { 'no-console': 'off', '@typescript-eslint/no-non-null-assertion': 'off' } },
  ...layers(),
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
);
