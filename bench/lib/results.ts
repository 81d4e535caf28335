// Each benchmark writes its figures to bench/results/<name>-<timestamp>.json
// (git-ignored); the scale curve reads the latest of each when run alone.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const ROOT = path.dirname(BENCH_DIR);
export const RESULTS_DIR = path.join(BENCH_DIR, 'results');

export function machine(): { cores: number; cpu: string; memoryGiB: number; node: string } {
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
}

export function saveResult(name: string, data: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = path.join(RESULTS_DIR, `${name}-${stamp}.json`);
  writeFileSync(file, JSON.stringify({ name, at: new Date().toISOString(), machine: machine(), ...(data as object) }, null, 2));
  return file;
}

/** The newest saved result of one benchmark, or null. */
export function latestResult<T>(name: string): T | null {
  let files: string[];
  try {
    files = readdirSync(RESULTS_DIR).filter((f) => f.startsWith(`${name}-`) && f.endsWith('.json'));
  } catch {
    return null;
  }
  const newest = files.sort().at(-1);
  return newest ? (JSON.parse(readFileSync(path.join(RESULTS_DIR, newest), 'utf8')) as T) : null;
}
