// Writes docs/relay-vectors.json from the reference code (docs/relay.md §10).
// Run: node --conditions=@agentsocket/source --experimental-strip-types scripts/gen-relay-vectors.ts   (or npx tsx)
import { writeFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import {
  canonicalBytes,
  encodeCancelRequest,
  encodeCompatRequest,
  encodeInvokeRequest,
  encodeRelayFrame,
  hmacHex,
  type RelayCodecName,
  type RelayFrame,
  RelayFrameType,
  relayCodec,
  toHex,
} from '../src/index.js';
import { toJsonValue } from '../test/vector-values.js';
import { playRun, type RunFrame, type RunStep, STEPS_TOOL } from '../test/vector-runs.js';

const hex = (bytes: Uint8Array) => toHex(bytes);
const utf8 = new TextEncoder();

const SECRET = 'fn-secret';
const TIMESTAMP = '1764763200000';
const CID = '01KBGZ3Y4N6V9T1Q2R3S4T5V6W';

/** The token of the `token` vector (docs/relay.md §5.1), as a relay with secret `relay-secret` mints it. */
function callbackToken(): string {
  const claims = Buffer.from(JSON.stringify({ cid: CID, ns: '/', agent: CID, exp: 1764763500000 })).toString('base64url');
  return `v2.${claims}.${createHmac('sha256', 'relay-secret').update(`cb2:${claims}`).digest('hex')}`;
}

async function main(): Promise<void> {
  const vectors: unknown[] = [];

  // §2 signatures
  const invokeBody = encodeInvokeRequest(
    {
      cid: CID,
      id: '01KBGZ40000000000000000001',
      tool: 'research',
      args: { topic: 'jaguar' },
      delivery: 'exactly-once',
      deadline: 1764763260000,
      state: 'step=2',
      principal: 'alice',
      ns: '/',
      agent: CID,
      traceparent: undefined,
      callback: { url: 'https://relay.example/cb/', token: callbackToken(), exp: 1764763500000 },
    },
    relayCodec('json'),
  );
  for (const [method, endpoint, body] of [
    ['POST', 'invoke', invokeBody],
    ['GET', 'tools', new Uint8Array(0)],
  ] as const) {
    const canonical = canonicalBytes(TIMESTAMP, method, endpoint, body);
    vectors.push({
      kind: 'signature',
      name: `signature of ${method} ${endpoint}`,
      secret: SECRET,
      timestamp: TIMESTAMP,
      method,
      endpoint,
      bodyHex: hex(body),
      canonicalHex: hex(canonical),
      headers: { 'x-asp-timestamp': TIMESTAMP, 'x-asp-signature': `v1=${await hmacHex(SECRET, canonical)}` },
    });
  }

  // §3 request bodies
  vectors.push({ kind: 'request', name: 'native invoke request, JSON', codec: 'json', hex: hex(invokeBody), decoded: JSON.parse(new TextDecoder().decode(invokeBody)) });
  const mp = relayCodec('msgpack');
  const mpBody = encodeInvokeRequest(
    { cid: CID, id: '01KBGZ40000000000000000002', tool: 'store', args: { blob: new Uint8Array([0, 1, 254, 255]) }, delivery: 'at-least-once', deadline: 1764763260000, state: undefined, principal: 'alice', ns: '/', agent: 'worker-1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', callback: undefined },
    mp,
  );
  vectors.push({ kind: 'request', name: 'native invoke request, MessagePack, binary argument', codec: 'msgpack', hex: hex(mpBody), decoded: toJsonValue(mp.decode(mpBody)) });
  const compat = encodeCompatRequest({ cid: CID, id: '01KBGZ40000000000000000003', tool: 'echo', args: { x: 1 }, delivery: 'at-least-once', traceparent: undefined });
  vectors.push({ kind: 'request', name: 'compatibility invoke request {cid, payload}', codec: 'json', hex: hex(compat), decoded: JSON.parse(new TextDecoder().decode(compat)) });

  // §4 frames, in both codecs
  const frames: Array<[string, RelayFrame]> = [
    ['CHUNK with a string', { type: RelayFrameType.CHUNK, data: 'looking into jaguar…' }],
    ['CHUNK with an object', { type: RelayFrameType.CHUNK, data: { token: 'The', index: 0 } }],
    ['CHUNK_BYTES', { type: RelayFrameType.CHUNK_BYTES, data: new Uint8Array([0, 1, 2, 255]) }],
    ['RESULT with metrics', { type: RelayFrameType.RESULT, result: { answer: 42 }, metrics: { durationMs: 2003.5, cpuMs: 1.25, chunks: 3 } }],
    ['RESULT without a value', { type: RelayFrameType.RESULT, result: undefined, metrics: { durationMs: 4, cpuMs: 0.5, chunks: 0 } }],
    ['ERROR with data and metrics', { type: RelayFrameType.ERROR, code: 422, message: 'invalid arguments', data: { field: 'topic' }, metrics: { durationMs: 1, cpuMs: 0.1, chunks: 0 } }],
    ['TOOL_DEF', { type: RelayFrameType.TOOL_DEF, tools: [{ name: 'follow_up', description: 'more', inputSchema: { type: 'object' } }], removed: ['old'] }],
    ['STATE set', { type: RelayFrameType.STATE, state: 'step=3' }],
    ['STATE cleared', { type: RelayFrameType.STATE, state: null }],
    ['KEEPALIVE', { type: RelayFrameType.KEEPALIVE }],
  ];
  for (const codecName of ['json', 'msgpack'] as RelayCodecName[]) {
    const codec = relayCodec(codecName);
    for (const [name, frame] of frames) {
      const bytes = encodeRelayFrame(frame, codec);
      const payload = bytes.subarray(5);
      vectors.push({
        kind: 'frame',
        name: `${name} (${codecName})`,
        codec: codecName,
        hex: hex(bytes),
        decoded: { type: frame.type, length: payload.byteLength, payload: frame.type === RelayFrameType.CHUNK_BYTES ? { $bin: hex(payload) } : frame.type === RelayFrameType.KEEPALIVE ? null : toJsonValue(codec.decode(payload)) },
      });
    }
  }
  vectors.push({ kind: 'bad-frame', name: 'unknown frame type 0x08', hex: '08000000026e75', note: 'the relay ends the call with ERROR 502' });
  vectors.push({ kind: 'bad-frame', name: 'unknown frame type 0x00', hex: '0000000000', note: 'the relay ends the call with ERROR 502' });
  vectors.push({ kind: 'bad-frame', name: 'KEEPALIVE with a payload', hex: '070000000100', note: 'the relay ends the call with ERROR 502' });
  vectors.push({ kind: 'bad-frame', name: 'CHUNK whose payload is not JSON', codec: 'json', hex: hex(new Uint8Array([1, 0, 0, 0, 3, ...utf8.encode('{x}')])), note: 'the relay ends the call with ERROR 502' });
  vectors.push({ kind: 'bad-frame', name: 'ERROR without a code', codec: 'json', hex: hex(new Uint8Array([4, 0, 0, 0, 15, ...utf8.encode('{"message":"x"}')])), note: 'the relay ends the call with ERROR 502' });

  // §5.1 callback tokens
  const exp = 1764763500000;
  const claims = Buffer.from(JSON.stringify({ cid: CID, ns: '/', agent: CID, exp })).toString('base64url');
  vectors.push({
    kind: 'token',
    name: 'callback token',
    secret: 'relay-secret',
    claims: { cid: CID, ns: '/', agent: CID, exp },
    signedText: `cb2:${claims}`,
    token: `v2.${claims}.${createHmac('sha256', 'relay-secret').update(`cb2:${claims}`).digest('hex')}`,
  });

  // Added after the first release of the file, so earlier entries keep their place and bytes.
  // §3.5 POST cancel: its signature and its bodies
  const cancelBody = encodeCancelRequest({ id: '01KBGZ40000000000000000001', principal: 'alice' }, relayCodec('json'));
  const cancelCanonical = canonicalBytes(TIMESTAMP, 'POST', 'cancel', cancelBody);
  vectors.push({
    kind: 'signature',
    name: 'signature of POST cancel',
    secret: SECRET,
    timestamp: TIMESTAMP,
    method: 'POST',
    endpoint: 'cancel',
    bodyHex: hex(cancelBody),
    canonicalHex: hex(cancelCanonical),
    headers: { 'x-asp-timestamp': TIMESTAMP, 'x-asp-signature': `v1=${await hmacHex(SECRET, cancelCanonical)}` },
  });
  vectors.push({ kind: 'cancel', name: 'cancel request, JSON', codec: 'json', hex: hex(cancelBody), decoded: JSON.parse(new TextDecoder().decode(cancelBody)) });
  const mpCancel = encodeCancelRequest({ id: '01KBGZ40000000000000000002', principal: undefined }, mp);
  vectors.push({ kind: 'cancel', name: 'cancel request, MessagePack, no principal', codec: 'msgpack', hex: hex(mpCancel), decoded: toJsonValue(mp.decode(mpCancel)) });

  // §8 exactly-once runs: followed after a dropped request, and stopped by cancel
  const runInvoke = (id: string, args: Record<string, unknown>, codecName: RelayCodecName) =>
    hex(
      encodeInvokeRequest(
        { cid: CID, id, tool: 'steps', args, delivery: 'exactly-once', deadline: undefined, state: undefined, principal: 'alice', ns: '/', agent: CID, traceparent: undefined, callback: undefined },
        relayCodec(codecName),
      ),
    );
  const two: RunFrame[] = [{ type: 0, payload: null }, { type: 0, payload: null }];
  const toEnd: RunFrame[] = [];
  const scenarios: Array<{ name: string; note: string; steps: RunStep[] }> = [
    {
      name: 'an exactly-once call followed after its request was dropped',
      note: 'Request 0 starts the run and is dropped after two frames (its relay died); request 1, with the same principal and id (and other arguments, which are ignored), gets every frame from the first and the rest as they come; request 2, after the run ended, gets them all again. The handler began and ended once.',
      steps: [
        { send: 'invoke', request: 0, codec: 'json', bodyHex: runInvoke('01KBGZ40000000000000000010', { topic: 'jaguar' }, 'json'), status: 0 },
        { read: 0, frames: two },
        { drop: 0 },
        { send: 'invoke', request: 1, codec: 'json', bodyHex: runInvoke('01KBGZ40000000000000000010', { topic: 'ignored' }, 'json'), status: 0 },
        { release: true },
        { read: 1, frames: toEnd },
        { end: 1 },
        { send: 'invoke', request: 2, codec: 'json', bodyHex: runInvoke('01KBGZ40000000000000000010', {}, 'json'), status: 0 },
        { read: 2, frames: toEnd },
        { end: 2 },
      ],
    },
    {
      name: 'an exactly-once call stopped by POST cancel',
      note: 'Request 0 starts the run; request 1 cancels it (204); request 0 ends with ERROR 499; a cancel for a call that is not running is also answered 204. The handler began once and did not end.',
      steps: [
        { send: 'invoke', request: 0, codec: 'msgpack', bodyHex: runInvoke('01KBGZ40000000000000000011', {}, 'msgpack'), status: 0 },
        { read: 0, frames: two },
        { send: 'cancel', request: 1, codec: 'msgpack', bodyHex: hex(encodeCancelRequest({ id: '01KBGZ40000000000000000011', principal: 'alice' }, mp)), status: 0 },
        { read: 0, frames: toEnd },
        { end: 0 },
        { send: 'cancel', request: 2, codec: 'json', bodyHex: hex(encodeCancelRequest({ id: '01KBGZ40000000000000000012', principal: 'alice' }, relayCodec('json'))), status: 0 },
      ],
    },
  ];
  for (const scenario of scenarios) {
    const played = await playRun(scenario.steps);
    vectors.push({ kind: 'run', name: scenario.name, tool: STEPS_TOOL, note: scenario.note, steps: played.steps, handler: played.runs });
  }

  writeFileSync(new URL('../../../docs/relay-vectors.json', import.meta.url), `${JSON.stringify(vectors, null, 2)}\n`);
  console.log(`wrote ${vectors.length} vectors`);
}

await main();
