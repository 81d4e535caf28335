// npm run openapi: writes docs/openapi.json, the REST API's OpenAPI document,
// generated from the route schemas of the app itself (createDeps + buildApp,
// never listening; one mediasoup worker on a free port, since building the
// app starts the worker pool). Keys are sorted, so the file only changes when
// the API does. npm run openapi:check exits 1 when the file is not current.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/load.ts';
import { buildApp } from '../server/app.ts';
import { createLogger } from '../server/core/logger.ts';
import { createDeps } from '../server/deps.ts';
import { DOCS_PREFIX } from '../server/http/openapi.ts';
import { freeMediaPorts } from '../support/ports.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FILE = path.join(ROOT, 'docs', 'openapi.json');
const SHOWN = path.relative(ROOT, FILE);

/** The document the app serves at /docs/json, whatever this shell's environment says. */
async function generate(): Promise<unknown> {
  const config = loadConfig({
    MEDIASOUP_NUM_WORKERS: '1',
    MEDIASOUP_PORT: String(await freeMediaPorts(1)),
    MEDIASOUP_WORKER_BIN: process.env.MEDIASOUP_WORKER_BIN ?? '',
    API_KEYS: 'openapi-export-'.padEnd(32, '0'),
    DOCS: 'true',
    LOG_LEVEL: 'silent',
  });
  const deps = await createDeps(config, createLogger('silent'));
  try {
    const app = await buildApp(deps);
    try {
      const res = await app.http.inject({ method: 'GET', url: `${DOCS_PREFIX}/json` });
      if (res.statusCode !== 200) throw new Error(`GET ${DOCS_PREFIX}/json answered ${String(res.statusCode)}: ${res.body}`);
      return res.json();
    } finally {
      await app.http.close();
    }
  } finally {
    await deps.close();
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}

const args = process.argv.slice(2);
if (args.length > 1 || (args.length === 1 && args[0] !== '--check')) {
  console.error('usage: npm run openapi          (writes docs/openapi.json)\n       npm run openapi:check    (exits 1 when docs/openapi.json is not current)');
  process.exit(2);
}
const text = `${JSON.stringify(sortKeys(await generate()), null, 2)}\n`;

if (args[0] === '--check') {
  let current: string | null = null;
  try {
    current = readFileSync(FILE, 'utf8');
  } catch {
    // reported below
  }
  if (current === text) {
    console.log(`${SHOWN} is current.`);
    process.exit(0);
  }
  if (current === null) {
    console.error(`${SHOWN} is missing. Run \`npm run openapi\` and commit it.`);
  } else {
    const a = current.split('\n');
    const b = text.split('\n');
    let i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    console.error(
      `${SHOWN} is not what the routes generate now (first difference at line ${String(i + 1)}).\n` +
        `  file:      ${(a[i] ?? '<end of file>').trim()}\n  generated: ${(b[i] ?? '<end of file>').trim()}\n` +
        'Run `npm run openapi` and commit the result.',
    );
  }
  process.exit(1);
}
writeFileSync(FILE, text);
console.log(`wrote ${SHOWN}`);
