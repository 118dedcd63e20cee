import { AgentClient } from '@agentsocket/core';
import { encodeFrame, Flag, FrameType } from '@agentsocket/core/transport';
import { msgpackCodec } from '@agentsocket/core/internal';
import { wsConnector } from '@agentsocket/ws';
import fc from 'fast-check';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES, TOKEN } from '../src/config.js';
import { aspSocket, type Closed, EngineSocket, hello, isFrame, type RawSocket } from '../src/raw.js';
import { ServerProcess } from '../src/server-process.js';

const KiB = 1024;
const MiB = 1024 * KiB;
/** Seeded, so a failure reproduces: FUZZ_SEED=<seed> npx vitest run --project fuzz */
const SEED = Number(process.env['FUZZ_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
/** The bound per input (the target): no single input costs more than 4 × the frame limit. */
const PER_INPUT = 4 * MAX_FRAME_BYTES;
/** What a bystander's echo may take while the server is under attack (two shared CI cores). */
const BYSTANDER_MS = 2000;
/** Codes the spec documents for what these inputs deserve (protocol.md §18, §20, transports). */
const DOCUMENTED = new Set([1000, 1006, 1009, 4400, 4401, 4408, 4413, 4426, 4429, 4504]);

let server: ServerProcess;
let bystander: AgentClient;
let bystanderWorst = 0;
let bystanderErrors = 0;
let pinging = true;
let pinger: Promise<void> | undefined;
const msgpack = msgpackCodec();

beforeAll(async () => {
  console.log(`fuzz seed ${SEED} (repeat with FUZZ_SEED=${SEED})`);
  server = await ServerProcess.start();
  bystander = new AgentClient({ connect: wsConnector({ url: server.ws, token: TOKEN }), token: TOKEN, heartbeatMs: 5000 });
  await bystander.connect();
  // The bystander calls echo all along; the worst latency per phase is checked.
  pinger = (async () => {
    while (pinging) {
      const started = Date.now();
      try {
        await bystander.invoke('echo', { at: started }, { timeoutMs: 30_000 }).result;
      } catch {
        bystanderErrors++;
      }
      bystanderWorst = Math.max(bystanderWorst, Date.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
}, 60_000);

afterAll(async () => {
  pinging = false;
  await pinger;
  await bystander?.close();
  await server?.stop();
});

/** Runs one phase; then the server is alive, the bystander was served in time, and memory came back. */
async function phase(name: string, run: () => Promise<void>, retainedBound = 16 * MiB): Promise<void> {
  const before = await server.ask({ type: 'memory', gc: true });
  await server.ask({ type: 'peak' });
  bystanderWorst = 0;
  bystanderErrors = 0;
  await run();
  const peak = await server.ask({ type: 'peak' });
  const after = await server.ask({ type: 'memory', gc: true });
  const mb = (n: number) => `${(n / MiB).toFixed(1)} MiB`;
  console.log(
    `fuzz ${name}: peak RSS +${mb(peak.rss - before.rss)}, retained RSS ${mb(after.rss - before.rss)}, heap ${mb(after.heapUsed - before.heapUsed)}, bystander worst ${bystanderWorst} ms`,
  );
  expect(server.exit, 'the server process is alive').toBeUndefined();
  expect(bystanderErrors, 'bystander calls failed').toBe(0);
  expect(bystanderWorst, 'bystander latency').toBeLessThan(BYSTANDER_MS);
  expect(peak.rss - before.rss, 'peak memory of the phase').toBeLessThan(PER_INPUT);
  expect(after.heapUsed - before.heapUsed, 'heap kept after the phase').toBeLessThan(retainedBound);
}

/** An authenticated ws session that completed its handshake with `codec`. */
async function session(codec: 'msgpack' | 'json' = 'msgpack', fields: Record<string, unknown> = {}): Promise<RawSocket> {
  const raw = aspSocket(server.ws, TOKEN);
  await raw.opened();
  raw.send(hello({ codecs: [codec], ...fields }));
  await raw.next(isFrame(FrameType.HELLO));
  return raw;
}

async function closedWithin(raw: RawSocket, ms: number): Promise<Closed> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not closed within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([raw.closed, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// ---- inputs ----

const BASE_FRAMES: Array<() => Uint8Array> = [
  () => encodeFrame(FrameType.INVOKE, 0, 1, msgpack.encode({ id: '01J0000000000000000000000A', tool: 'echo', args: { a: [1, 'x'] }, dl: 0 })),
  () => encodeFrame(FrameType.INVOKE, Flag.RELIABLE, 2, msgpack.encode({ id: '01J0000000000000000000000B', tool: 'echo', args: {}, dl: 1, sq: 1 })),
  () => encodeFrame(FrameType.PING, 0, 0, msgpack.encode({ t: 1 })),
  () => encodeFrame(FrameType.ACK, 0, 0, msgpack.encode({ ack: 3 })),
  () => encodeFrame(FrameType.STREAM, 0, 0x8001, msgpack.encode({ seq: 0, data: 'x' })),
  () => encodeFrame(FrameType.INTERRUPT, 0, 1, msgpack.encode({})),
  () => encodeFrame(FrameType.TOOL_DEF, 0, 0, msgpack.encode({ id: 'x', tools: [{ name: 't', inputSchema: {} }], removed: [] })),
  () => encodeFrame(FrameType.ERROR, 0, 0, msgpack.encode({ code: 400, message: 'x' })),
  () => hello(),
];

/** One mutation of one valid frame: header fields, lengths, opcodes, truncation, payload bytes. */
const mutation = fc.record({
  base: fc.nat(BASE_FRAMES.length - 1),
  op: fc.constantFrom('byte0', 'flags', 'rid', 'length', 'truncate', 'append', 'flip', 'payload'),
  value: fc.nat(0xffffffff),
  bytes: fc.uint8Array({ maxLength: 64 }),
});

function mutate(m: { base: number; op: string; value: number; bytes: Uint8Array }): Uint8Array {
  const frame = (BASE_FRAMES[m.base] ?? BASE_FRAMES[0])?.() ?? new Uint8Array(8);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  switch (m.op) {
    case 'byte0':
      frame[0] = m.value & 0xff;
      return frame;
    case 'flags':
      frame[1] = m.value & 0xff;
      return frame;
    case 'rid':
      view.setUint16(2, m.value & 0xffff);
      return frame;
    case 'length':
      view.setUint32(4, [0, frame.length - 9, frame.length - 7, 0xffffffff, m.value][m.value % 5] ?? 0);
      return frame;
    case 'truncate':
      return frame.subarray(0, m.value % frame.length);
    case 'append': {
      const out = new Uint8Array(frame.length + m.bytes.length);
      out.set(frame);
      out.set(m.bytes, frame.length);
      return out;
    }
    case 'flip':
      for (const b of m.bytes) {
        const at = 8 + (b % Math.max(1, frame.length - 8));
        if (at < frame.length) frame[at] = (frame[at] ?? 0) ^ 0xff;
      }
      return frame;
    default: {
      const out = new Uint8Array(8 + m.bytes.length);
      out.set(frame.subarray(0, 8));
      new DataView(out.buffer).setUint32(4, m.bytes.length);
      out.set(m.bytes, 8);
      return out;
    }
  }
}

/** MessagePack that announces or nests far more than it is: each is refused before it is built. */
function msgpackBombs(): Array<[string, Uint8Array]> {
  const wrap = (inner: Uint8Array, count: number, marker: number) => {
    // {id, tool, args: [array32 of `count`]} with the elements in `inner`
    const head = msgpack.encode({ id: '01J0000000000000000000000C', tool: 'echo', dl: 0, args: 0 });
    const out = new Uint8Array(head.length - 1 + 5 + inner.length);
    out.set(head.subarray(0, head.length - 1));
    out[head.length - 1] = marker;
    new DataView(out.buffer).setUint32(head.length, count);
    out.set(inner, head.length + 4);
    return out;
  };
  const deep = new Uint8Array(2_000_000).fill(0x91);
  return [
    ['array32 announcing 2^32 - 1 elements', wrap(new Uint8Array(16), 0xffffffff, 0xdd)],
    ['map32 announcing 2^32 - 1 entries', wrap(new Uint8Array(16), 0xffffffff, 0xdf)],
    ['str32 announcing 4 GiB', wrap(new Uint8Array(16), 0xffffffff, 0xdb)],
    ['2 000 000 nested arrays', wrap(deep, 1, 0xdd)],
    ['600 000 empty maps', wrap(new Uint8Array(600_000).fill(0x80), 600_000, 0xdd)],
    ['3 000 000 nils', wrap(new Uint8Array(3_000_000).fill(0xc0), 3_000_000, 0xdd)],
    ['15 MiB of 0x91 (deep) as the whole payload', new Uint8Array(15 * MiB).fill(0x91)],
  ];
}

/** JSON that costs far more to parse than its size. */
function jsonBombs(): Array<[string, string]> {
  const invoke = (args: string) => `{"id":"01J0000000000000000000000D","tool":"echo","dl":0,"args":${args}}`;
  return [
    ['8 MiB of nesting', invoke(`${'['.repeat(4 * MiB)}${']'.repeat(4 * MiB)}`)],
    ['4 000 000 empty objects', invoke(`[${new Array(4_000_000).fill('{}').join(',')}]`)],
    ['7 000 000 zeros', invoke(`[${new Array(7_000_000).fill('0').join(',')}]`)],
  ];
}

// ---- the suite ----

describe(`fuzz (seed ${SEED})`, () => {
  it('frame mutations on authenticated ws sessions: every bad frame is answered or closed with a documented code', async () => {
    const inputs = fc.sample(mutation, { seed: SEED, numRuns: 400 });
    const codes = new Map<number, number>();
    await phase('frame mutations', async () => {
      let raw = await session();
      for (const m of inputs) {
        if (raw.socket.readyState !== 1) {
          const c = await raw.closed;
          codes.set(c.code, (codes.get(c.code) ?? 0) + 1);
          raw = await session();
        }
        raw.send(mutate(m));
        if (m.base === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      // The last connection still answers, or has closed with its reason.
      raw.send(encodeFrame(FrameType.PING, 0, 0, msgpack.encode({ t: 2 })));
      raw.kill();
    });
    console.log(`fuzz frame mutations: ${inputs.length} inputs, closes ${JSON.stringify(Object.fromEntries(codes))}`);
    for (const code of codes.keys()) expect(DOCUMENTED, `close code ${code}`).toContain(code);
  }, 60_000);

  it('MessagePack bombs on an authenticated session: each refused (4400), no input costs more than 4 × the frame limit', async () => {
    for (const [name, payload] of msgpackBombs()) {
      await phase(`msgpack: ${name}`, async () => {
        const raw = await session('msgpack');
        raw.send(encodeFrame(FrameType.INVOKE, 0, 1, payload));
        expect((await closedWithin(raw, 20_000)).code, name).toBe(4400);
      });
    }
  }, 60_000);

  it('JSON bombs on a JSON-codec session and as a HELLO without a token: refused before they are parsed', async () => {
    const te = new TextEncoder();
    for (const [name, text] of jsonBombs()) {
      await phase(`json session: ${name}`, async () => {
        const raw = await session('json');
        raw.send(encodeFrame(FrameType.INVOKE, 0, 1, te.encode(text)));
        expect((await closedWithin(raw, 20_000)).code, name).toBe(4400);
      });
    }
    await phase('no-token HELLO: 7.6 MiB of nesting, ws and Socket.IO', async () => {
      const depth = 4_000_000;
      const bomb = new Uint8Array(2 * depth).fill(0x5b, 0, depth).fill(0x5d, depth);
      const raw = aspSocket(server.ws);
      await raw.opened();
      raw.send(encodeFrame(FrameType.HELLO, 0, 0, bomb));
      expect((await closedWithin(raw, 10_000)).code).toBe(1009);
      const sio = io(`${server.sio}/asp`, { transports: ['websocket'], reconnection: false, forceNew: true });
      await new Promise<void>((resolve) => sio.once('connect', () => resolve()));
      const cut = new Promise<string>((resolve) => sio.once('disconnect', resolve));
      sio.emit('asp', encodeFrame(FrameType.HELLO, 0, 0, bomb));
      expect(await cut).toBe('transport close');
      sio.close();
    });
    await phase('no-token HELLO within the limit: 250 KiB of empty objects and of nesting (401 / 400)', async () => {
      for (const [body, code] of [
        [`{"v":[1],"codecs":["msgpack"],"x":[${new Array(80_000).fill('{}').join(',')}]}`, 4401],
        [`{"v":[1],"codecs":["msgpack"],"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, 4400],
      ] as const) {
        const raw = aspSocket(server.ws);
        await raw.opened();
        raw.send(encodeFrame(FrameType.HELLO, 0, 0, te.encode(body)));
        expect((await closedWithin(raw, 10_000)).code).toBe(code);
      }
    });
  }, 60_000);

  it('connections without a token cost less than 1 MB each, on ws and Socket.IO', async () => {
    const count = 100;
    const before = await server.ask({ type: 'memory', gc: true });
    const ws: RawSocket[] = [];
    const partial: RawSocket[] = [];
    const sio: ReturnType<typeof io>[] = [];
    for (let i = 0; i < count; i++) {
      const raw = aspSocket(server.ws);
      ws.push(raw);
      const s = io(`${server.sio}/asp`, { transports: ['websocket'], reconnection: false, forceNew: true });
      sio.push(s);
    }
    await Promise.all(ws.map((r) => r.opened()));
    await Promise.all(sio.map((s) => new Promise<void>((resolve) => (s.connected ? resolve() : s.once('connect', () => resolve())))));
    // And some that send most of a HELLO and stall (within what is read before a HELLO).
    for (let i = 0; i < 20; i++) partial.push(aspSocket(server.ws));
    await Promise.all(partial.map((r) => r.opened()));
    for (const raw of partial) {
      const frameHeader = Buffer.from([0x82, 0x7f, 0, 0, 0, 0, 0, 0x08, 0, 0]); // binary, 512 KiB announced
      const socket: unknown = Reflect.get(raw.socket, '_socket');
      if (socket && typeof socket === 'object' && 'write' in socket && typeof socket.write === 'function') {
        socket.write(Buffer.concat([frameHeader, Buffer.alloc(500 * KiB)]));
      }
    }
    const stats = await server.ask({ type: 'stats' });
    const after = await server.ask({ type: 'memory', gc: true });
    const per = (after.rss - before.rss) / (2 * count + partial.length);
    console.log(`fuzz unauthenticated: ${2 * count + partial.length} connections, ${(per / KiB).toFixed(0)} KiB RSS each (stats ${JSON.stringify(stats)})`);
    // All still open when measured (within the 5 s handshake timeout), the bystander's too.
    expect(stats.wsSockets).toBe(count + partial.length + 1);
    expect(stats.sioConnections).toBe(count);
    expect(per).toBeLessThan(1024 * KiB);
    for (const r of [...ws, ...partial]) r.kill();
    for (const s of sio) s.close();
    expect(server.exit).toBeUndefined();
  }, 60_000);

  it('Socket.IO attachment floods and partial attachments, before any HELLO', async () => {
    // Kind 1 waits for the handshake timeout, so it runs once; the others in a seeded order.
    const random = [...fc.sample(fc.constantFrom(0, 2, 3, 4, 5), { seed: SEED, numRuns: 14 }), 0, 1, 2, 3, 4, 5];
    await phase('socket.io attachments', async () => {
      for (const kind of random) {
        const engine = new EngineSocket(server.sio);
        await engine.open();
        engine.send('40/asp,');
        await engine.next((m) => typeof m === 'string' && m.startsWith('40/asp'));
        switch (kind) {
          case 0: // ten attachments announced, one sent
            engine.send('4510-/asp,["asp",{"_placeholder":true,"num":0}]');
            engine.send(new Uint8Array(4 * MiB));
            break;
          case 1: // one attachment announced, never sent
            engine.send('451-/asp,["asp",{"_placeholder":true,"num":0}]');
            break;
          case 2: // binary with no packet announcing it
            engine.send(new Uint8Array(1 * MiB));
            break;
          case 3: // a 1 MiB text packet
            engine.send(`42/asp,["x","${'y'.repeat(MiB)}"]`);
            break;
          case 4: // the main namespace
            engine.send('40');
            await engine.next((m) => typeof m === 'string' && m.startsWith('44'));
            engine.kill();
            continue;
          default: // 8 MiB before any HELLO
            engine.send('451-/asp,["asp",{"_placeholder":true,"num":0}]');
            engine.send(new Uint8Array(8 * MiB));
        }
        // Kind 1 is held by nothing but ASP's handshake timer (5 s here); the others are cut at once.
        expect((await closedWithin(engine, 10_000)).code).toBeGreaterThan(0);
      }
    });
  }, 60_000);

  it('slow readers on ws and Socket.IO: cut (4429) though they keep sending PINGs', async () => {
    const pinging = (send: () => void) => setInterval(send, 100);
    const open = async (key: 'wsSockets' | 'sioConnections') => (await server.ask({ type: 'stats' }))[key];
    const cuts: string[] = [];
    await phase('slow reader, ws', async () => {
      // A stream flows, the client stops reading and keeps PINGing (and never ACKs).
      const raw = await session('msgpack', { hb: 500 });
      raw.send(encodeFrame(FrameType.INVOKE, Flag.RELIABLE, 1, msgpack.encode({ id: '01J0000000000000000000000E', tool: 'flood', args: {}, dl: 1, sq: 1 })));
      await raw.next(isFrame(FrameType.STREAM));
      // Acknowledges everything once (so the stream goes on past the window), then stops reading.
      raw.send(encodeFrame(FrameType.ACK, 0, 0, msgpack.encode({ ack: 2 ** 31 })));
      const stream: unknown = Reflect.get(raw.socket, '_socket');
      if (stream && typeof stream === 'object' && 'pause' in stream && typeof stream.pause === 'function') stream.pause();
      const pings = pinging(() => raw.send(encodeFrame(FrameType.PING, 0, 0, msgpack.encode({ t: Date.now() }))));
      const started = Date.now();
      await expect.poll(() => open('wsSockets'), { timeout: 15_000, interval: 200 }).toBe(1); // the bystander's
      cuts.push(`ws after ${Date.now() - started} ms`);
      clearInterval(pings);
      raw.kill();
      // The session expires (sessionTtlMs 3000) and its window goes with it.
      await expect.poll(async () => (await server.ask({ type: 'stats' })).sessions, { timeout: 15_000, interval: 200 }).toBe(1);
    });
    await phase('slow reader, Socket.IO', async () => {
      const sio = io(`${server.sio}/asp`, { auth: { token: TOKEN }, transports: ['websocket'], reconnection: false, forceNew: true });
      const received: Uint8Array[] = [];
      sio.on('asp', (data: ArrayBuffer | Uint8Array) => received.push(data instanceof Uint8Array ? data : new Uint8Array(data)));
      await new Promise<void>((resolve) => sio.once('connect', () => resolve()));
      sio.emit('asp', hello({ hb: 500 }));
      await expect.poll(() => received.some(isFrame(FrameType.HELLO)), { timeout: 10_000 }).toBe(true);
      sio.emit('asp', encodeFrame(FrameType.INVOKE, Flag.RELIABLE, 1, msgpack.encode({ id: '01J0000000000000000000000F', tool: 'flood', args: {}, dl: 1, sq: 1 })));
      await expect.poll(() => received.some(isFrame(FrameType.STREAM)), { timeout: 10_000 }).toBe(true);
      sio.emit('asp', encodeFrame(FrameType.ACK, 0, 0, msgpack.encode({ ack: 2 ** 31 })));
      // Only the reading stops: the Engine.IO WebSocket is paused, PINGs still go out.
      const socket: unknown = Reflect.get(Reflect.get(sio.io.engine, 'transport') ?? {}, 'ws');
      expect(socket, 'the Engine.IO WebSocket').toHaveProperty('pause');
      if (socket && typeof socket === 'object' && 'pause' in socket && typeof socket.pause === 'function') socket.pause();
      const pings = pinging(() => sio.emit('asp', encodeFrame(FrameType.PING, 0, 0, msgpack.encode({ t: Date.now() }))));
      const started = Date.now();
      await expect.poll(() => open('sioConnections'), { timeout: 15_000, interval: 200 }).toBe(0);
      cuts.push(`Socket.IO after ${Date.now() - started} ms`);
      clearInterval(pings);
      sio.close();
      await expect.poll(async () => (await server.ask({ type: 'stats' })).sessions, { timeout: 15_000, interval: 200 }).toBe(1);
    });
    console.log(`fuzz slow readers cut: ${cuts.join(', ')} (slowConsumerMs 1000, hb 500)`);
  }, 60_000);
});
