/**
 * Bytes per call on the server's socket, per profile, at one call in flight: ours over ws with the
 * lean envelope (the default) and without it (`lean: false`, the envelope before it), our
 * Socket.IO transport, and the references (plain Socket.IO, the hand-written ws + msgpackr RPC,
 * the bare MCP SDK server over Streamable HTTP). Bytes do not depend on load: one round each.
 *
 *   node --conditions=@agentsocket/source --import tsx apps/compare/src/wire-bytes.ts [--calls N]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { aspSession, CALL_PROFILES, KIT_CHILD, STREAM_PROFILE, type Live, remote, roundTrip, startLive, type Variant, wsVariant } from '@agentsocket/bench-kit';
import { wsConnector } from '@agentsocket/ws';
import { variants } from './variants.js';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '300' } } });
const calls = Number(values.calls);

const wsLong: Variant = {
  ...wsVariant,
  id: 'ws-long',
  label: 'Agent Socket, binary WebSocket, lean: false',
  start: remote(KIT_CHILD, 'agent-ws', (url) => aspSession(wsConnector({ url }), { lean: false })),
};
const ids = ['ws', 'socketio', 'plain-socketio', 'msgpack-rpc', 'bare-mcp-http'];
const measured: Variant[] = [wsLong, ...ids.map((id) => {
  const v = variants.find((x) => x.id === id);
  if (!v) throw new Error(`no variant ${id}`);
  return v;
})];

console.log(`bytes per call on the server's socket, 1 in flight, ${calls} calls per profile; load average ${loadavg()[0]?.toFixed(2)}`);
const table = new Map<string, Map<string, number>>();
for (const v of measured) {
  const live: Live = await startLive(v);
  try {
    const row = new Map<string, number>();
    for (const p of CALL_PROFILES) {
      await roundTrip(live, p, 1, 50); // connection warm, acks settled into their steady rhythm
      const before = await live.running.counters();
      for (let i = 0; i < calls; i++) await live.session.call(p);
      const after = await live.running.counters();
      row.set(p.id, (after.bytes - before.bytes) / calls);
    }
    if (live.session.stream && v.cannot.stream === undefined) {
      // The streamed profile: bytes per token of a 200-token completion, the call around it included.
      const streams = Math.max(1, Math.round(calls / 30));
      await live.session.stream(STREAM_PROFILE.tokens, () => {});
      const before = await live.running.counters();
      for (let i = 0; i < streams; i++) await live.session.stream(STREAM_PROFILE.tokens, () => {});
      const after = await live.running.counters();
      row.set(STREAM_PROFILE.id, (after.bytes - before.bytes) / (streams * STREAM_PROFILE.tokens));
    }
    table.set(v.id, row);
  } finally {
    await live.session.close();
    await live.running.stop();
  }
}
const columns = [...CALL_PROFILES.map((p) => p.id), STREAM_PROFILE.id];
console.log(['variant', ...columns.map((c) => (c === STREAM_PROFILE.id ? 'stream (B/token)' : c))].map((h) => h.padEnd(18)).join(''));
for (const [id, row] of table) {
  console.log([id, ...columns.map((c) => (row.has(c) ? `${(row.get(c) ?? Number.NaN).toFixed(1)} B` : '-'))].map((c) => c.padEnd(18)).join(''));
}
const ratio = (a: string, b: string, p: string) => (table.get(a)?.get(p) ?? Number.NaN) / (table.get(b)?.get(p) ?? Number.NaN);
for (const p of CALL_PROFILES) {
  console.log(
    `${p.id}: ws ÷ plain Socket.IO ${ratio('ws', 'plain-socketio', p.id).toFixed(2)}× (lean: false ${ratio('ws-long', 'plain-socketio', p.id).toFixed(2)}×), ` +
      `÷ hand-written RPC ${ratio('ws', 'msgpack-rpc', p.id).toFixed(2)}×, ÷ MCP HTTP ${ratio('ws', 'bare-mcp-http', p.id).toFixed(2)}×; ` +
      `our Socket.IO ÷ plain Socket.IO ${ratio('socketio', 'plain-socketio', p.id).toFixed(2)}×`,
  );
}
