// npm run audit:verify -- FILE (or - for standard input): checks an audit
// export from GET /api/v1/audit. Prints "OK: ..." and exits 0, or names the
// first line at fault ("FAIL at line 7 (seq 7): record altered (hash mismatch)")
// and exits 1. Exits 2 when the file cannot be read.
import { readFileSync } from 'node:fs';
import { describeVerdict, verifyExport } from '../server/domain/audit/verify.ts';

const file = process.argv[2];
if (file === undefined || process.argv.length > 3) {
  console.error('usage: npm run audit:verify -- FILE   (an export from GET /api/v1/audit; - reads standard input)');
  process.exit(2);
}
let text: string;
try {
  text = readFileSync(file === '-' ? 0 : file, 'utf8');
} catch (e) {
  console.error(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  process.exit(2);
}
const verdict = verifyExport(text);
console.log(describeVerdict(verdict));
process.exit(verdict.ok ? 0 : 1);
