// The routes a running app really has, for tests that hold the OpenAPI
// document (or a scope table) to them.
import type { TestServer } from './server.ts';

/** The app's routes as "METHOD /path/{param}", read from Fastify's route tree (HEAD left out). */
export function routesOf(s: TestServer): string[] {
  const parents: string[] = [];
  const routes: string[] = [];
  for (const line of s.app.http.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)[└├]── (.+?)(?: \(([^)]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const full = (depth === 0 ? '' : parents[depth - 1]!) + m[2]!;
    parents[depth] = full;
    for (const method of (m[3] ?? '').split(', ').filter((x) => x && x !== 'HEAD')) routes.push(`${method} ${full.replace(/:(\w+)/g, '{$1}')}`);
  }
  return routes;
}
