// The consultation model over a fake socket and a fake media session: media
// runs exactly while this person is admitted and connected, remote media is
// told to the view, and endings and refusals reach the page.
import { describe, expect, it, vi } from 'vitest';
import { ClientError } from '../../../client/src/net/rpc.ts';
import { setup, view } from './fake-consultation.ts';
import { settle } from './fake-socket.ts';

describe('Consultation', () => {
  it('follows each state, telling the view who is there before the page', () => {
    const { socket, remote, on, c } = setup();
    socket.accept();
    const first = view('waiting');
    socket.fire('consultation:state', first);
    const second = view('waiting', [{ id: 'p-other', state: 'waiting' }]);
    socket.fire('consultation:state', second);
    expect(on.state).toHaveBeenNthCalledWith(1, first, null);
    expect(on.state).toHaveBeenNthCalledWith(2, second, first);
    expect(remote.participants.mock.invocationCallOrder[0]).toBeLessThan(on.state.mock.invocationCallOrder[0]!);
    expect(c.view).toBe(second);
    expect(on.connection).toHaveBeenCalledWith('connected');
    expect(c.everConnected).toBe(true);
  });

  it('runs media only once admitted, subscribing to the others and not to itself', async () => {
    const { socket, medias, remote, c } = setup();
    socket.accept();
    socket.fire('consultation:state', view('waiting'));
    await settle();
    expect(medias).toHaveLength(0);
    expect(c.media).toBeNull();

    socket.fire('consultation:state', view('admitted', [{ id: 'p-other', state: 'admitted' }]));
    await settle();
    expect(medias).toHaveLength(1);
    const m = medias[0]!;
    expect(m.start).toHaveBeenCalled();
    expect(m.subscribe).toHaveBeenCalledTimes(1);
    expect(remote.added).toHaveBeenCalledWith(expect.objectContaining({ consumerId: 'c-pr-other', participantId: 'p-other' }));
    expect(c.media).toBe(m);

    socket.fire('media:producerPaused', { producerId: 'pr-other', paused: true });
    expect(remote.paused).toHaveBeenCalledWith('c-pr-other', true);
    socket.fire('media:producerClosed', { producerId: 'pr-other' });
    expect(remote.removed).toHaveBeenCalledWith('c-pr-other');
    expect(m.dropConsumer).toHaveBeenCalledWith('c-pr-other');
  });

  it('stops media when sent back, and starts it again when admitted again', async () => {
    const { socket, medias, remote } = setup();
    socket.accept();
    socket.fire('consultation:state', view('admitted'));
    await settle();
    socket.fire('consultation:state', view('waiting'));
    expect(medias[0]!.close).toHaveBeenCalled();
    expect(remote.cleared).toHaveBeenCalled();
    socket.fire('consultation:state', view('admitted'));
    await settle();
    expect(medias).toHaveLength(2);
  });

  it('says nothing when set-up fails because the person was sent back, and says it is retrying otherwise', async () => {
    const sentBack = setup(new ClientError('NOT_ADMITTED', ''));
    sentBack.socket.accept();
    sentBack.socket.fire('consultation:state', view('admitted'));
    await settle();
    expect(sentBack.medias[0]!.close).toHaveBeenCalled();
    expect(sentBack.on.mediaProblem).not.toHaveBeenCalled();
    sentBack.c.close();

    const broken = setup(new Error('ICE failed'));
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    broken.socket.accept();
    broken.socket.fire('consultation:state', view('admitted'));
    await settle();
    expect(broken.on.mediaProblem).toHaveBeenCalledWith('We are having trouble connecting your video. Trying again…');
    broken.c.close();
    vi.restoreAllMocks();
  });

  it('closes and reports the reason when the server ends the consultation', () => {
    const { socket, remote, on } = setup();
    socket.accept();
    socket.fire('consultation:ended', { reason: 'ended' });
    expect(on.ended).toHaveBeenCalledWith('ended');
    expect(remote.closed).toHaveBeenCalled();
    expect(socket.closed).toBe(true);
  });

  it('reports a refused connection with the server code, and a server disconnect as DISCONNECTED', () => {
    const refused = setup();
    refused.socket.active = false;
    refused.socket.fire('connect_error', Object.assign(new Error('refused'), { data: { code: 'TOKEN_EXPIRED', message: 'Expired.' } }));
    expect(refused.on.failed).toHaveBeenCalledWith('TOKEN_EXPIRED', 'Expired.');

    const dropped = setup();
    dropped.socket.accept();
    dropped.socket.drop('transport close');
    dropped.socket.fire('connect_error', new Error('offline'));
    expect(dropped.on.connection).toHaveBeenLastCalledWith('reconnecting');
    expect(dropped.on.failed).not.toHaveBeenCalled();
    dropped.socket.accept();
    dropped.socket.drop('io server disconnect');
    expect(dropped.on.failed).toHaveBeenCalledWith('DISCONNECTED', 'The video service closed the connection.');
  });
});
