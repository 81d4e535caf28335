// Builds the browser client into client/dist: one minified ES module per page
// (esbuild) plus the HTML and CSS, and prints each page's gzipped size. The
// patient's page must stay under 250 KB gzipped (phones on poor connections).
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'client', 'dist');
const pagesDir = path.join(root, 'client', 'src', 'pages');
export const PATIENT_BUDGET_GZIP = 250 * 1024;

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const entryPoints = readdirSync(pagesDir).filter((f) => f.endsWith('.ts')).map((f) => path.join(pagesDir, f));
await esbuild.build({
  entryPoints,
  outdir: out,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome100', 'firefox100', 'safari15.4', 'edge100'],
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
});
cpSync(path.join(root, 'client', 'html'), out, { recursive: true });

let over = false;
for (const f of readdirSync(out).filter((x) => x.endsWith('.js'))) {
  const gz = gzipSync(readFileSync(path.join(out, f))).length;
  const budget = f === 'join.js' ? ` (budget ${PATIENT_BUDGET_GZIP / 1024} KB)` : '';
  console.log(`client/dist/${f}: ${(gz / 1024).toFixed(1)} KB gzipped${budget}`);
  if (f === 'join.js' && gz > PATIENT_BUDGET_GZIP) over = true;
}
if (over) {
  console.error('the patient page is over its size budget');
  process.exit(1);
}
