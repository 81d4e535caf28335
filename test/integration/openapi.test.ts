// The OpenAPI document against the running app: docs/openapi.json is exactly
// what the app serves at /docs/json (npm run openapi keeps it so), every
// /api/v1 route the app has is in it and no page is, the docs page is served
// from this origin under the strict CSP, and DOCS=false turns /docs off.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/api.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { routesOf } from '../support/routes.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface OpenApiDoc {
  info: { title: string; version: string };
  paths: Record<string, Record<string, { tags?: string[]; security?: unknown[]; responses: Record<string, unknown> }>>;
}

describe('OpenAPI document and /docs', () => {
  let s: TestServer;
  let served: OpenApiDoc;
  beforeAll(async () => {
    s = await startTestServer();
    const res = await fetch(`${s.url}/docs/json`);
    expect(res.status).toBe(200);
    served = (await res.json()) as OpenApiDoc;
  });
  afterAll(() => s?.stop());

  it('docs/openapi.json is what the app serves (else: npm run openapi)', () => {
    const file = JSON.parse(readFileSync(path.join(ROOT, 'docs', 'openapi.json'), 'utf8')) as OpenApiDoc;
    expect(served, 'docs/openapi.json is not current: run `npm run openapi` and commit it').toEqual(file);
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(served.info).toMatchObject({ title: 'consultroom API', version: pkg.version });
  });

  it('describes every /api/v1 route the app has, with its responses and security, and no page', () => {
    const routes = routesOf(s);
    const apiRoutes = routes.filter((r) => r.split(' ')[1]!.startsWith('/api/v1/'));
    expect(apiRoutes.length).toBeGreaterThanOrEqual(11);
    expect(apiRoutes).toContain('POST /api/v1/clinician-tokens');
    expect(apiRoutes).toContain('GET /api/v1/status');
    for (const route of apiRoutes) {
      const [method, url] = route.split(' ') as [string, string];
      const op = served.paths[url]?.[method.toLowerCase()];
      expect(op, `${route} is missing from the document`).toBeDefined();
      expect(op!.tags?.length, `${route} has no tag`).toBeGreaterThan(0);
      expect(op!.security, `${route} says nothing about security`).toBeDefined();
      expect(Object.keys(op!.responses).some((code) => code.startsWith('2')), `${route} has no success response`).toBe(true);
      expect(op!.responses['4XX'], `${route} does not describe its errors`).toBeDefined();
    }
    const documented = Object.keys(served.paths);
    expect(documented.filter((p) => !p.startsWith('/api/v1/')).sort()).toEqual(['/healthz', '/metrics', '/readyz']);
    expect(routes).toContain('GET /join');
  });

  it('keeps error bodies whole under the response schemas (code, message, details)', async () => {
    const bad = await api(s.url, 'POST', '/api/v1/appointments', { clinician: { id: 'gp-1' } });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { code: string; message: string; details: { key: string; problem: string }[] };
    expect(body).toMatchObject({ code: 'BAD_REQUEST', message: 'The request is not in the expected form.' });
    expect(body.details.length).toBeGreaterThan(0);
    expect(await (await api(s.url, 'GET', '/api/v1/status', undefined, '')).json()).toEqual({
      code: 'UNAUTHENTICATED',
      message: 'An API key (Authorization: Bearer <key>) or a staff sign-in is required.',
    });
  });

  it('serves the docs page and its assets from this origin under the strict CSP', async () => {
    const page = await fetch(`${s.url}/docs`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    const html = await page.text();
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(ref, 'every asset is from this origin').toMatch(/^\/docs\/static\//);
    expect(html).not.toMatch(/<script>|<style>|\sstyle="/);
    for (const asset of ['/docs/static/swagger-ui-bundle.js', '/docs/static/swagger-initializer.js', '/docs/static/swagger-ui.css']) {
      expect((await fetch(`${s.url}${asset}`)).status, asset).toBe(200);
    }
  });
});

describe('DOCS=false', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ DOCS: 'false' });
  });
  afterAll(() => s?.stop());

  it('serves no /docs, and the API still answers with its schemas', async () => {
    expect((await fetch(`${s.url}/docs`)).status).toBe(404);
    expect((await fetch(`${s.url}/docs/json`)).status).toBe(404);
    const bad = await api(s.url, 'GET', '/api/v1/appointments/not-an-id');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'BAD_REQUEST', details: [{ key: 'params.id' }] });
    const status = await api(s.url, 'GET', '/api/v1/status');
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ store: 'memory', draining: false });
  });
});
