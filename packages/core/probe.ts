import { AgentClient, AgentServer, defineAgent, tool, decodeFrame, msgpackCodec, frameTypeName, memoryTransportPair, transportSymbol, type Connector, type Transport, type TransportCloseInfo } from './src/index.js';
const c = msgpackCodec();
class Tap implements Transport {
  readonly [transportSymbol] = true as const;
  readonly kind = 'tap';
  onframe: ((f: Uint8Array) => void) | undefined;
  onclose: ((i: TransportCloseInfo) => void) | undefined;
  constructor(private inner: Transport, private log: (dir: string, f: Uint8Array) => void) {
    inner.onframe = (f) => { log('S->C', f); this.onframe?.(f); };
    inner.onclose = (i) => this.onclose?.(i);
  }
  get maxFrameBytes() { return this.inner.maxFrameBytes; }
  get bufferedAmount() { return this.inner.bufferedAmount; }
  get open() { return this.inner.open; }
  start() { this.inner.start(); }
  send(f: Uint8Array) { this.log('C->S', f); this.inner.send(f); }
  close(code?: number, reason?: string) { return this.inner.close(code, reason); }
}
const agent = defineAgent({ name: 'p', tools: {
  big: tool({ async *handler() { yield 'x'.repeat(200); yield 'small'; return 'done'; } }),
} });
const server = new AgentServer(agent);
const seen: string[] = [];
const connect: Connector = async () => {
  const [a, b] = memoryTransportPair();
  server.accept(b, { transport: 'memory' });
  return new Tap(a, (dir, f) => { const fr = decodeFrame(f); if (fr.type !== 1) seen.push(`${dir} ${frameTypeName(fr.type)} fl=${fr.flags} rid=${fr.requestId} ${JSON.stringify(c.decode(fr.payload))}`); });
};
const client = new AgentClient({ connect, maxFrameBytes: 100 });
await client.connect();
for (const d of ['at-least-once', 'at-most-once'] as const) {
  const call = client.invoke('big', {}, { delivery: d });
  try { for await (const x of call) console.log('chunk', x); console.log(await call.result); } catch (e) { console.log('err', (e as Error).message); }
  await new Promise((r) => setTimeout(r, 50));
}
console.log(seen.join('\n'));
await client.close(); server.close();
