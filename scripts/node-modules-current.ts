// Exits 0 when node_modules holds exactly what package-lock.json pins, 1 with
// the reason on stderr otherwise (scripts/first-run.sh then runs `npm ci`).
// It compares the lockfile with npm's own record of the last install,
// node_modules/.package-lock.json: the same package at the same version at
// each location, ignoring optional packages for other platforms (npm never
// installs those). Mtimes are no use: a clone or a checkout sets them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface LockEntry { version?: string; optional?: boolean; devOptional?: boolean; link?: boolean }
type Packages = Record<string, LockEntry>;

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

function packagesOf(file: string): Packages | undefined {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { packages?: Packages }).packages;
  } catch {
    return undefined;
  }
}

function staleReason(): string | undefined {
  const wanted = packagesOf(path.join(root, 'package-lock.json'));
  if (!wanted) return 'package-lock.json cannot be read';
  const installed = packagesOf(path.join(root, 'node_modules', '.package-lock.json'));
  if (!installed) return 'node_modules is missing or was not installed by npm';
  for (const [location, entry] of Object.entries(wanted)) {
    if (location === '') continue;
    const got = installed[location];
    if (!got) {
      if (entry.optional || entry.devOptional) continue;
      return `${location} is missing`;
    }
    if (got.version !== entry.version) return `${location} is ${got.version ?? '?'}, package-lock.json pins ${entry.version ?? '?'}`;
  }
  const extra = Object.keys(installed).find((location) => location !== '' && !(location in wanted));
  return extra ? `${extra} is installed but not in package-lock.json` : undefined;
}

const reason = staleReason();
if (reason) {
  console.error(reason);
  process.exit(1);
}
