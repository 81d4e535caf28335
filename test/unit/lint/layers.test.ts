// The layers are a lint rule (eslint.config.js), and CI fails on lint: this
// checks the rule itself, by linting one import line as if it stood in each
// folder. Only no-restricted-imports runs (no type information is needed).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const eslint = new ESLint({
  cwd: ROOT,
  ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
  // A probe file is in no tsconfig: parse it without type information.
  overrideConfig: [{ languageOptions: { parserOptions: { projectService: false, project: null } } }],
});

async function refused(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${source}\nexport {};\n`, { filePath: path.join(ROOT, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layers enforced by lint', () => {
  it.each([
    ['server/domain/probe.ts', "import Fastify from 'fastify';"],
    ['server/domain/probe.ts', "import { Redis } from 'ioredis';"],
    ['server/domain/probe.ts', "import sharp from 'sharp';"],
    ['server/domain/probe.ts', "import { x } from '../http/origin-guard.ts';"],
    ['server/domain/access/probe.ts', "import { x } from '../../stores/redis/index.ts';"],
    ['server/http/probe.ts', "import { x } from '../signaling/handle.ts';"],
    ['server/signaling/probe.ts', "import { x } from '../http/file-routes.ts';"],
    ['server/http/probe.ts', "import { x } from '../media/rooms.ts';"],
    ['server/core/probe.ts', "import { x } from '../domain/model.ts';"],
    ['server/wire/probe.ts', "import { x } from '../domain/model.ts';"],
    ['config/probe.ts', "import { x } from '../server/core/errors.ts';"],
    ['client/src/model/probe.ts', "import type { x } from '../../../server/domain/model.ts';"],
    ['client/src/net/probe.ts', "import { readFileSync } from 'node:fs';"],
    ['server/stores/redis/probe.ts', "import Fastify from 'fastify';"],
    ['server/domain/probe.ts', "import { x } from '../../test/support/api.ts';"],
    ['bench/probe.ts', "import { x } from '../test/support/api.ts';"],
  ])('%s may not say %s', async (file, source) => {
    expect(await refused(file, source)).not.toEqual([]);
  });

  it.each([
    ['server/domain/probe.ts', "import { AppError } from '../core/errors.ts';"],
    ['server/domain/probe.ts', "import type { ParticipantView } from '../wire/participants.ts';"],
    ['server/http/probe.ts', "import { x } from '../edge/cookies.ts';"],
    ['server/stores/redis/probe.ts', "import { Redis } from 'ioredis';"],
    ['client/src/model/probe.ts', "import type { ConsultationView } from '../../../server/wire/participants.ts';"],
    ['bench/probe.ts', "import { x } from '../support/api.ts';"],
  ])('%s may say %s', async (file, source) => {
    expect(await refused(file, source)).toEqual([]);
  });
});
