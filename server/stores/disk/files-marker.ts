// Whether FILES_DIR is the same directory on every node, as several nodes
// need: a photo stored by the node that took the upload is read by whichever
// node the viewer's request reaches. Each node writes a random token to
// <dir>/.nodes/<node id> at start and announces the token in its heartbeat;
// a node that reads another's token there shares the directory with it. A
// node that does not is warned about (once per peer, again when it recovers)
// and shown in `cli nodes`: photos uploaded there would be missing here.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isId, isNodeId } from '../../core/id-pattern.ts';
import { randomId } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';

export interface FilesMarker {
  /** This node's token, for its heartbeat. */
  readonly token: string;
  /** Whether `nodeId`'s marker here holds `token`: that node's FILES_DIR is this one. */
  shares(nodeId: string, token: string): Promise<boolean>;
  /**
   * Removes this node's marker (a clean stop, which also takes the node off
   * the registry), so markers of nodes with a new name at each start do not
   * pile up; a crashed node's stays, and is overwritten if its name comes back.
   */
  remove(): Promise<void>;
}

/** Writes this node's marker (a new token each start) and returns the check of the others'. */
export async function markFilesDir(dir: string, nodeId: string): Promise<FilesMarker> {
  // Node ids are checked before one becomes a file name, so no traversal.
  if (!isNodeId(nodeId)) throw new RangeError('not a node id');
  const markers = path.join(path.resolve(dir), '.nodes');
  await mkdir(markers, { recursive: true, mode: 0o700 });
  // A token has the shape of an id: 16 bytes from the CSPRNG.
  const token = randomId();
  const file = path.join(markers, nodeId);
  // Written aside and renamed, so another node never reads half a token.
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, token, { mode: 0o600 });
  await rename(tmp, file);
  return {
    token,
    async remove() {
      // Only our own token: a node started since under the same name keeps its marker.
      if ((await readFile(file, 'utf8').catch(() => null)) === token) await rm(file, { force: true });
    },
    async shares(other, expected) {
      if (!isNodeId(other) || !isId(expected)) return false;
      try {
        return (await readFile(path.join(markers, other), 'utf8')) === expected;
      } catch {
        return false;
      }
    },
  };
}

/**
 * Every `everyMs`, checks the live nodes' markers and logs a node whose
 * FILES_DIR is not this one (once, and once again when it is). Returns stop().
 */
export function watchFilesShare(o: {
  marker: FilesMarker;
  self: string;
  live: () => Promise<readonly { id: string; filesToken?: string | undefined }[]>;
  logger: Logger;
  everyMs: number;
}): () => void {
  const apart = new Set<string>();
  let running = false;
  const check = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      for (const n of await o.live()) {
        // A node too old to announce a token says nothing either way.
        if (n.id === o.self || n.filesToken === undefined) continue;
        const shared = await o.marker.shares(n.id, n.filesToken);
        if (!shared && !apart.has(n.id)) {
          apart.add(n.id);
          o.logger.error({ node: n.id }, 'FILES_DIR is not the directory that node uses: photos and files it stores cannot be read here (see docs/deploy.md, shared storage)');
        } else if (shared && apart.delete(n.id)) {
          o.logger.info({ node: n.id }, 'FILES_DIR is now shared with that node');
        }
      }
    } catch (e) {
      o.logger.warn({ err: e }, 'could not check that FILES_DIR is shared with the other nodes');
    } finally {
      running = false;
    }
  };
  void check();
  const timer = setInterval(() => void check(), o.everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
