// The thread model: reads the thread page by page from the latest back, keeps
// what arrived live while a list was on its way, shows each item once, oldest first.
import { describe, expect, it } from 'vitest';
import type { ConsultationView } from '../../../server/wire/participants.ts';
import type { ThreadItemView } from '../../../server/wire/thread.ts';
import { Thread, type ThreadConnection, type ThreadListener } from '../../../client/src/model/thread.ts';
import { rpcOver } from '../../../client/src/net/rpc.ts';
import { FakeSocket, settle } from './fake-socket.ts';

const LIMITS = { maxTextLength: 500, maxFileBytes: 1000, accept: ['image/png'], recordSystem: true };

function item(n: number): ThreadItemView {
  return {
    id: `item-${String(n).padStart(4, '0')}`,
    at: new Date(Date.UTC(2025, 0, 1, 9, 0, n)).toISOString(),
    kind: 'text',
    text: `message ${n}`,
    from: { id: 'p-clinician', name: 'Dr A', role: 'clinician' },
  } as unknown as ThreadItemView;
}

function range(from: number, to: number): ThreadItemView[] {
  return Array.from({ length: to - from + 1 }, (_, i) => item(from + i));
}

/** A server holding items 1..total, answering pages of `page` from the latest back. */
function pagingServer(socket: FakeSocket, total: number, page = 50): void {
  socket.answer('thread:list', (p) => {
    const before = (p as { before?: string }).before;
    const end = before ? Number(before.slice(5)) - 1 : total;
    const start = Math.max(1, end - page + 1);
    return { items: range(start, end), more: start > 1, limits: LIMITS };
  });
}

function connection(socket: FakeSocket, state = 'admitted'): ThreadConnection {
  return {
    socket: socket.asSocket(),
    rpc: rpcOver(socket.asSocket()),
    view: { self: { id: 'p-self', state } } as unknown as ConsultationView,
  };
}

function record(thread: Thread): Parameters<ThreadListener>[0][] {
  const seen: Parameters<ThreadListener>[0][] = [];
  thread.subscribe((c) => seen.push(c));
  return seen;
}

describe('Thread', () => {
  it('reads every page back from the latest on connecting, and shows the items oldest first', async () => {
    const socket = new FakeSocket();
    pagingServer(socket, 120);
    const thread = new Thread(connection(socket));
    const changes = record(thread);
    socket.accept();
    await settle();
    expect(socket.named('thread:list')).toEqual([{}, { before: 'item-0071' }, { before: 'item-0021' }]);
    expect(thread.items.map((i) => i.id)).toEqual(range(1, 120).map((i) => i.id));
    expect(thread.limits).toEqual(LIMITS);
    expect(changes).toEqual([{ reset: true }]);
  });

  it('stops after twenty pages however much is left', async () => {
    const socket = new FakeSocket();
    pagingServer(socket, 5000, 10);
    const thread = new Thread(connection(socket));
    socket.accept();
    await settle();
    expect(socket.named('thread:list')).toHaveLength(20);
    expect(thread.items).toHaveLength(200);
    expect(thread.items.at(-1)?.id).toBe('item-5000');
  });

  it('keeps an item that arrived live while the list was on its way, and drops what is no longer listed', async () => {
    const socket = new FakeSocket();
    let listed = range(1, 3);
    socket.answer('thread:list', () => ({ items: listed, more: false, limits: LIMITS }));
    const thread = new Thread(connection(socket));
    socket.accept();
    await settle();
    expect(thread.items).toHaveLength(3);

    // Sent back to the waiting room: now only item 2 is shown, and item 9 arrives during the list.
    listed = [item(2)];
    const refreshing = thread.refresh();
    socket.fire('thread:item', item(9));
    await refreshing;
    expect(thread.items.map((i) => i.id)).toEqual(['item-0002', 'item-0009']);
  });

  it('tells its listeners about each item once, live or not', async () => {
    const socket = new FakeSocket();
    socket.answer('thread:list', () => ({ items: [], more: false, limits: LIMITS }));
    socket.answer('thread:send', (p) => ({ item: { ...item(7), text: (p as { text: string }).text } }));
    const thread = new Thread(connection(socket));
    const changes = record(thread);
    socket.accept();
    await settle();
    socket.fire('thread:item', item(5));
    socket.fire('thread:item', item(5));
    const sent = await thread.send('hello');
    socket.fire('thread:item', item(7));
    expect(sent.id).toBe('item-0007');
    expect(changes).toEqual([{ reset: true }, { item: item(5), live: true }, { item: sent, live: false }]);
    expect(thread.items.map((i) => i.id)).toEqual(['item-0005', 'item-0007']);
  });

  it("lists again when this person's state changes, not on every state", async () => {
    const socket = new FakeSocket();
    socket.answer('thread:list', () => ({ items: [], more: false, limits: LIMITS }));
    const thread = new Thread(connection(socket));
    socket.accept();
    await settle();
    const state = (s: string) => socket.fire('consultation:state', { self: { id: 'p-self', state: s } });
    state('waiting');
    state('waiting');
    await settle();
    expect(socket.named('thread:list')).toHaveLength(1);
    state('admitted');
    await settle();
    expect(socket.named('thread:list')).toHaveLength(2);
    thread.dispose();
    expect(thread.items).toEqual([]);
  });

  it('refuses to send while the socket is down, without asking', async () => {
    const socket = new FakeSocket();
    const thread = new Thread(connection(socket));
    await expect(thread.send('hello')).rejects.toMatchObject({ code: 'NETWORK' });
    expect(socket.requests).toEqual([]);
  });
});
