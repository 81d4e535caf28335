// Shared files over HTTP: uploads (the session cookie authenticates them) and
// reading a file's bytes through a short-lived URL from files:url. Failures
// are ClientErrors with the server's code, like the socket's.
import type { ThreadItemView } from '../../../server/wire/thread.ts';
import { ClientError } from './rpc.ts';

export async function uploadFile(appointmentId: string, body: Blob, name: string, requestId?: string): Promise<ThreadItemView> {
  const q = new URLSearchParams({ name });
  if (requestId) q.set('requestId', requestId);
  let res: Response;
  try {
    res = await fetch(`/api/v1/consultations/${encodeURIComponent(appointmentId)}/files?${q.toString()}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/octet-stream', accept: 'application/json' },
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ClientError('NETWORK', '');
  }
  // Errors are the server's { code, message }.
  const data = (await res.json().catch(() => null)) as { item?: ThreadItemView; code?: string; message?: string } | null;
  if (res.status !== 201 || !data?.item) {
    throw new ClientError(data?.code ?? (res.status === 413 ? 'FILE_TOO_LARGE' : `HTTP_${res.status}`), data?.message ?? '');
  }
  return data.item;
}

/** GET a file URL; only a network failure throws (the caller reads the status). */
export async function getFile(url: string): Promise<Response> {
  try {
    return await fetch(url, { credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ClientError('NETWORK', '');
  }
}
