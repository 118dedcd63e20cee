/**
 * Prints the worked example of docs/protocol.md: a real AgentServer and AgentClient talk over an
 * in-memory transport and every frame is captured as it crosses. Randomness and clocks are pinned
 * so the bytes are the same on every run.
 *
 *   node --conditions=@agentsocket/source --import tsx packages/core/scripts/worked-example.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  AgentClient,
  AgentServer,
  type Connector,
  defineAgent,
  type Transport,
  type TransportCloseInfo,
  tool,
} from '../src/index.js';
import {
  decodeFrame,
  Flag,
  FrameType,
  frameTypeName,
  memoryTransportPair,
  transportSymbol,
} from '../src/index.transport.js';
import { jsonCodec, msgpackCodec } from '../src/index.internal.js';
import { toHex, toJson } from '../test/vector-format.js';

// Pinned randomness (ULIDs, resume token) and clocks (ULID time, PING t, metrics).
let counter = 0;
Object.defineProperty(globalThis.crypto, 'getRandomValues', {
  configurable: true,
  value: <T extends ArrayBufferView | null>(array: T): T => {
    if (array instanceof Uint8Array) for (let i = 0; i < array.length; i++) array[i] = (counter++ * 37 + 11) & 0xff;
    return array;
  },
});
Date.now = () => 1732243200000;
Math.random = () => 0.5;
let perf = 0;
performance.now = () => (perf += 0.125);

/** Passes frames through and records them, as a network tap would. */
class Tap implements Transport {
  readonly [transportSymbol] = true as const;
  readonly kind = 'tap';
  onframe: ((frame: Uint8Array) => void) | undefined;
  onclose: ((info: TransportCloseInfo) => void) | undefined;

  constructor(
    private readonly inner: Transport,
    private readonly record: (from: 'client' | 'server', frame: Uint8Array) => void,
  ) {
    inner.onframe = (frame) => {
      record('server', frame);
      this.onframe?.(frame);
    };
    inner.onclose = (info) => this.onclose?.(info);
  }

  get maxFrameBytes(): number {
    return this.inner.maxFrameBytes;
  }
  get bufferedAmount(): number {
    return this.inner.bufferedAmount;
  }
  get open(): boolean {
    return this.inner.open;
  }
  start(): void {
    this.inner.start();
  }
  send(frame: Uint8Array): void {
    this.record('client', frame);
    this.inner.send(frame);
  }
  close(code?: number, reason?: string): Promise<void> {
    return this.inner.close(code, reason);
  }
}

const agent = defineAgent({
  name: 'research-assistant',
  version: '1.0.0',
  tools: {
    search: tool({
      description: 'Searches and streams what it finds',
      input: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
      async *handler() {
        yield 'Web';
        yield 'Sockets';
        return { answer: 'full duplex' };
      },
    }),
    story: tool({
      description: 'Streams a story slowly',
      async *handler() {
        yield 'Once';
        await gate; // the example drops the connection here
        yield 'upon';
        return { words: 2 };
      },
    }),
  },
});

let openGate: () => void = () => {};
const gate = new Promise<void>((resolve) => {
  openGate = resolve;
});

type Captured = { from: 'client' | 'server'; frame: Uint8Array; connection: number };

async function capture(run: (client: AgentClient) => Promise<void>): Promise<Captured[]> {
  const captured: Captured[] = [];
  const server = new AgentServer(agent);
  let connections = 0;
  const connect: Connector = async () => {
    const [clientEnd, serverEnd] = memoryTransportPair();
    server.accept(serverEnd, { transport: 'memory' });
    const connection = ++connections;
    return new Tap(clientEnd, (from, frame) => captured.push({ from, frame, connection }));
  };
  const client = new AgentClient({ connect });
  await client.connect();
  await run(client);
  // Let the coalesced ACKs (5 ms) go out before closing.
  await new Promise((resolve) => setTimeout(resolve, 50));
  await client.close();
  server.close();
  return captured;
}

function render(captured: Captured[]): string {
  const msgpack = msgpackCodec();
  const json = jsonCodec();
  const lines: string[] = [];
  let negotiated = 0;
  let connection = 0;
  for (const [i, c] of captured.entries()) {
    if (c.connection !== connection) {
      connection = c.connection;
      if (connection > 1) lines.push('', `*The connection drops. Connection ${connection}:*`, '');
    }
    const f = decodeFrame(c.frame);
    const isJson = f.type === FrameType.HELLO || negotiated < c.connection;
    if (f.type === FrameType.HELLO && f.flags & Flag.REPLY) negotiated = c.connection;
    const payload = toJson((isJson ? json : msgpack).decode(f.payload));
    const flags = [f.flags & Flag.REPLY ? 'REPLY' : '', f.flags & Flag.RELIABLE ? 'RELIABLE' : ''].filter(Boolean).join('|') || '0';
    const hex = toHex(c.frame);
    lines.push(
      `${i + 1}. ${c.from === 'client' ? 'C → S' : 'S → C'} **${frameTypeName(f.type)}** (flags ${flags}, request ${f.requestId}, ${f.payload.byteLength} payload bytes, ${isJson ? 'JSON' : 'MessagePack'})`,
      '   ```',
      `   ${hex.slice(0, 16)} ${hex.slice(16)}`.replace(/(.{1,100})/g, '$1\n   ').trimEnd(),
      '   ```',
      `   payload: \`${JSON.stringify(payload)}\``,
    );
  }
  return lines.join('\n');
}

const session = await capture(async (client) => {
  const call = client.invoke('search', { q: 'websockets' });
  for await (const _chunk of call) {
    // drained; the frames are what matter here
  }
  await call.result;
});

const resume = await capture(async (client) => {
  const call = client.invoke('story', {});
  const reconnected = new Promise<void>((resolve) => client.on('connect', () => resolve()));
  let first = true;
  for await (const _chunk of call) {
    if (!first) continue;
    first = false;
    await client.dropConnection(); // as a network failure would, before any ACK went out
    openGate(); // the handler streams on while the client is away
  }
  await reconnected;
  await call.result;
});

const sections = { session: render(session), resume: render(resume) };
if (process.argv.includes('--write')) {
  const path = fileURLToPath(new URL('../../../docs/protocol.md', import.meta.url));
  let doc = readFileSync(path, 'utf8');
  for (const [name, body] of Object.entries(sections)) {
    const begin = `<!-- BEGIN worked-example:${name} -->`;
    const end = `<!-- END worked-example:${name} -->`;
    const from = doc.indexOf(begin);
    const to = doc.indexOf(end);
    if (from < 0 || to < from) throw new Error(`docs/protocol.md has no ${begin} … ${end} block`);
    doc = `${doc.slice(0, from + begin.length)}\n${body}\n${doc.slice(to)}`;
  }
  writeFileSync(path, doc);
  console.log(`updated ${path}`);
} else {
  console.log(`${sections.session}\n\n${sections.resume}`);
}
