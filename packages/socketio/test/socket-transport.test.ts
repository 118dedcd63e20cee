import { CloseCode, type TransportCloseInfo } from '@agentsocket/core';
import { encodeFrame, FrameType } from '@agentsocket/core/transport';
import { describe, expect, it } from 'vitest';
import { closeCodeForReason } from '../src/close-codes.js';
import { CLOSE_EVENT, FRAME_EVENT, SocketTransport, type Wire } from '../src/socket-transport.js';

/** A Wire that records what the transport asks of the socket. */
function fakeWire() {
  const sent: Uint8Array[] = [];
  const closes: Array<[number, string]> = [];
  const disconnects: boolean[] = [];
  const wire: Wire & { buffered: number } = {
    buffered: 0,
    emitFrame: (frame) => sent.push(frame),
    emitClose: (code, reason) => closes.push([code, reason]),
    get bufferedBytes() {
      return this.buffered;
    },
    disconnect: (abrupt) => disconnects.push(abrupt),
  };
  return { wire, sent, closes, disconnects };
}

function transport(wire: Wire, limits: { maxFrameBytes?: number; maxBufferedBytes?: number } = {}) {
  const t = new SocketTransport(wire, { maxFrameBytes: limits.maxFrameBytes ?? 1024, maxBufferedBytes: limits.maxBufferedBytes ?? 4096 });
  const frames: number[] = [];
  const closes: TransportCloseInfo[] = [];
  t.onframe = (f) => frames.push(f[0] ?? -1);
  t.onclose = (info) => closes.push(info);
  return { t, frames, closes };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('SocketTransport rules', () => {
  it('hands over plain Uint8Arrays, even for Node Buffers', async () => {
    const { wire } = fakeWire();
    const t = new SocketTransport(wire, { maxFrameBytes: 1024, maxBufferedBytes: 4096 });
    const got: Uint8Array[] = [];
    t.onframe = (f) => got.push(f);
    t.start();
    t.receive(FRAME_EVENT, [Buffer.from([9, 8, 7])]);
    await tick();
    expect(Buffer.isBuffer(got[0])).toBe(false);
    expect([...(got[0] ?? [])]).toEqual([9, 8, 7]);
  });

  it('fires onclose once, tells the peer the code, and rejects send afterwards', async () => {
    const { wire, closes: sentCloses, disconnects } = fakeWire();
    const { t, closes } = transport(wire);
    t.start();
    await Promise.all([t.close(4403, 'nope'), t.close()]);
    t.disconnected('io server disconnect'); // the socket's own event after our disconnect
    await t.close();
    expect(closes).toEqual([{ code: 4403, reason: 'nope', local: true }]);
    expect(sentCloses).toEqual([[4403, 'nope']]);
    expect(disconnects).toEqual([false]);
    expect(t.open).toBe(false);
    expect(() => t.send(new Uint8Array(1))).toThrow(expect.objectContaining({ code: 'TRANSPORT_CLOSED' }));
  });

  it('closes with SLOW_CONSUMER, abruptly, once the backlog passes the limit', async () => {
    const fake = fakeWire();
    const { t, closes } = transport(fake.wire, { maxBufferedBytes: 100 });
    fake.wire.buffered = 99; // plus the byte waiting for this turn's batch: 100, at the limit
    t.send(new Uint8Array(1));
    expect(t.open).toBe(true);
    fake.wire.buffered = 101;
    expect(() => t.send(new Uint8Array(1))).toThrow(expect.objectContaining({ code: 'TRANSPORT_CLOSED' }));
    expect(t.open).toBe(false);
    expect(fake.disconnects).toEqual([true]);
    expect(fake.closes).toEqual([]); // it would only queue behind the backlog
    await tick();
    expect(closes[0]).toMatchObject({ code: CloseCode.SLOW_CONSUMER, local: true });
  });

  it('sends the frames of one event-loop turn as one event and cuts them apart on receipt', async () => {
    const { wire, sent } = fakeWire();
    const { t } = transport(wire);
    // The mapping defines batches, so there is nothing for core to negotiate in HELLO.
    expect(t.enableBatching).toBeUndefined();
    const frames = [1, 2, 3].map((n) => encodeFrame(FrameType.PING, 0, 0, new Uint8Array(n).fill(n)));
    for (const f of frames) t.send(f);
    expect(sent).toEqual([]);
    await tick();
    expect(sent).toHaveLength(1);
    expect(sent[0]?.byteLength).toBe(8 * 3 + 6);
    const peer = new SocketTransport(fakeWire().wire, { maxFrameBytes: 1024, maxBufferedBytes: 4096 });
    const got: number[] = [];
    peer.onframe = (f) => got.push(f.byteLength);
    peer.start();
    peer.receive(FRAME_EVENT, [sent[0]]);
    // A trailing piece that is not a whole frame is passed on as it is, for core to refuse.
    peer.receive(FRAME_EVENT, [new Uint8Array([...frames[0] ?? [], 0x12, 0x00])]);
    await tick();
    expect(got).toEqual([9, 10, 11, 9, 2]);
  });

  it('flushes frames sent before close() ahead of the close event', async () => {
    const fake = fakeWire();
    const { t } = transport(fake.wire);
    t.send(new Uint8Array(3));
    await t.close(CloseCode.NORMAL, 'bye');
    expect(fake.sent.map((f) => f.byteLength)).toEqual([3]);
    expect(fake.closes).toEqual([[CloseCode.NORMAL, 'bye']]);
  });

  it.each([
    ['a text frame', FRAME_EVENT, ['hello']],
    ['two arguments', FRAME_EVENT, [new Uint8Array(1), new Uint8Array(1)]],
    ['an acknowledgement callback', FRAME_EVENT, [new Uint8Array(1), () => {}]],
    ['an unknown event', 'chat', [new Uint8Array(1)]],
    ['a malformed close', CLOSE_EVENT, ['4400', 'x']],
    ['an out-of-range close code', CLOSE_EVENT, [99, 'x']],
  ])('closes with BAD_FRAME on %s', async (_what, event, args) => {
    const { wire, closes: sentCloses } = fakeWire();
    const { t, closes, frames } = transport(wire);
    t.start();
    t.receive(event, args);
    t.receive(FRAME_EVENT, [new Uint8Array([1])]); // ignored: the socket is closing
    await tick();
    expect(closes).toEqual([expect.objectContaining({ code: CloseCode.BAD_FRAME, local: true })]);
    expect(sentCloses[0]?.[0]).toBe(CloseCode.BAD_FRAME);
    expect(frames).toEqual([]);
  });

  it('delivers the peer’s last frames before its close, with the peer’s code', async () => {
    const { wire, disconnects } = fakeWire();
    const { t, frames, closes } = transport(wire);
    const order: string[] = [];
    t.onframe = (f) => order.push(`frame ${f[0]}`);
    t.onclose = (info) => order.push(`close ${info.code} ${info.reason}`);
    t.receive(FRAME_EVENT, [new Uint8Array([1])]);
    t.receive(CLOSE_EVENT, [CloseCode.UNSUPPORTED_VERSION, 'version']);
    t.disconnected('io server disconnect');
    // The peer is gone: refused rather than dropped quietly (rule 4); core keeps reliable frames for resume.
    expect(() => t.send(new Uint8Array(1))).toThrow(expect.objectContaining({ code: 'TRANSPORT_CLOSED' }));
    t.start();
    await tick();
    expect(order).toEqual(['frame 1', `close ${CloseCode.UNSUPPORTED_VERSION} version`]);
    expect(disconnects).toEqual([false]);
    expect(frames).toEqual([]);
    expect(closes).toEqual([]);
  });

  it('maps a disconnect without a close event through the reason table', async () => {
    const { wire } = fakeWire();
    const { t, closes } = transport(wire);
    t.start();
    t.disconnected('ping timeout');
    await tick();
    expect(closes).toEqual([{ code: CloseCode.HEARTBEAT_TIMEOUT, reason: 'ping timeout', local: false }]);
  });

  it('ends the connection with 1011 instead of throwing into Socket.IO when the frame handler throws', async () => {
    const { wire, closes: sentCloses } = fakeWire();
    const t = new SocketTransport(wire, { maxFrameBytes: 1024, maxBufferedBytes: 4096 });
    const closes: TransportCloseInfo[] = [];
    t.onframe = () => {
      throw new Error('boom');
    };
    t.onclose = (info) => closes.push(info);
    t.start();
    t.receive(FRAME_EVENT, [new Uint8Array([1])]);
    await tick();
    expect(closes[0]).toMatchObject({ code: 1011, local: true });
    expect(sentCloses[0]?.[0]).toBe(1011);
  });
});

describe('Socket.IO disconnect reasons', () => {
  it.each([
    ['transport close', 1006, false],
    ['transport error', 1006, false],
    ['ping timeout', CloseCode.HEARTBEAT_TIMEOUT, false],
    ['parse error', CloseCode.BAD_FRAME, false],
    ['io server disconnect', CloseCode.GOING_AWAY, false],
    ['io client disconnect', CloseCode.NORMAL, true],
    ['client namespace disconnect', CloseCode.NORMAL, false],
    ['server namespace disconnect', CloseCode.GOING_AWAY, true],
    ['server shutting down', CloseCode.GOING_AWAY, true],
    ['forced server close', CloseCode.GOING_AWAY, true],
    ['forced close', 1006, true],
    ['something new', 1006, false],
  ])('"%s" → %i', (reason, code, local) => {
    expect(closeCodeForReason(reason)).toEqual({ code, local });
  });
});
