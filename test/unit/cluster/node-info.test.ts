// A node's heartbeat as another node reads it from Redis: the FILES_DIR token
// is optional (older nodes have none) and kept only in its own form, so a
// malformed one says nothing rather than making the node unreadable.
import { describe, expect, it } from 'vitest';
import { parseNodeInfo } from '../../../server/cluster/node-info.ts';

const info = {
  id: 'node-a',
  mediaAddress: '10.0.0.5',
  load: { routers: 1, consumers: 2, cpu: 0.1, sockets: 3 },
  score: 14,
  draining: false,
  startedAt: '2026-12-04T10:00:00.000Z',
};

describe('parseNodeInfo and the FILES_DIR token', () => {
  it('keeps a token in its form, and reads a node without one', () => {
    expect(parseNodeInfo(JSON.stringify({ ...info, filesToken: 'AbCdEfGhIjKlMnOpQrSt_-' }))).toEqual({ ...info, filesToken: 'AbCdEfGhIjKlMnOpQrSt_-' });
    expect(parseNodeInfo(JSON.stringify(info))).toEqual(info);
  });

  it('leaves out a malformed token and keeps the node', () => {
    for (const filesToken of ['../../etc/passwd', 'short', 'x'.repeat(23), 42, null, { a: 1 }]) {
      expect(parseNodeInfo(JSON.stringify({ ...info, filesToken })), JSON.stringify(filesToken)).toEqual(info);
    }
  });
});
