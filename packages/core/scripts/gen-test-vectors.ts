/**
 * Writes docs/test-vectors.json from the core frame codec and codecs, so the vectors are what the
 * reference implementation actually produces. Deterministic: every id, token and time is fixed.
 *
 *   node --conditions=@agentsocket/source --import tsx packages/core/scripts/gen-test-vectors.ts
 *
 * Valid frames are built with encodeFrame + the codecs and described by decoding them again.
 * Invalid byte strings are described by the error decodeFrame throws. The peer reactions of
 * rejected frames are the documented behaviour (docs/protocol.md); test/vectors.test.ts checks
 * them against a live AgentServer. The file format is described in docs/protocol.md §27.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  AgentSocketError,
  CloseCode,
  type Codec,
  ErrorCode,
} from '../src/index.js';
import {
  decodeFrame,
  encodeFrame,
  Flag,
  FrameType,
} from '../src/index.transport.js';
import {
  type ClientHello,
  describeFrame,
  encodeClientHello,
  encodeServerHello,
  jsonCodec,
  msgpackCodec,
  type ServerHello,
  ulidToBytes,
} from '../src/index.internal.js';
import { type DecodedFrame, type PeerReaction, toHex, type Vector } from '../test/vector-format.js';

const codecs: Record<'msgpack' | 'json', Codec> = { msgpack: msgpackCodec(), json: jsonCodec() };

// Fixed, valid ULIDs (Crockford base32, 26 characters) so the output never changes.
const ID = {
  invoke1: '01JD8X5Q3C7T9V2N4M6P8R0S1W',
  invoke2: '01JD8X5Q3D0A1B2C3D4E5F6G7H',
  invoke3: '01JD8X5Q3E9Z8Y7X6W5V4T3S2R',
  serverInvoke: '01JD8X5Q3F1K2M3N4P5Q6R7S8T',
  toolDef1: '01JD8X5Q3G0000000000000001',
  toolDef2: '01JD8X5Q3H0000000000000002',
  message1: '01JD8X5Q3J0000000000000003',
  message2: '01JD8X5Q3K0000000000000004',
  session: '01JD8X5PZZ4K9W2B7C5D8E3F6G',
};
const RESUME_TOKEN = '6f1c9a2be0d4473f8a5e21c7b93d06f4a8e2c1b7d5f30942';
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

const searchTool = {
  name: 'search',
  description: 'Searches the web and streams what it finds',
  inputSchema: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
};
const askTool = {
  name: 'ask_user',
  description: 'Asks the human a clarifying question',
  inputSchema: { type: 'object', properties: { question: { type: 'string' } }, required: ['question'] },
};

/** Describes bytes by decoding them with the reference code (the payload only if it decodes). */
function describe(bytes: Uint8Array, codec: 'msgpack' | 'json'): DecodedFrame {
  // The file leaves the payload out where it does not decode (that is the point of the vector), without saying why.
  const { payloadError: _why, ...decoded } = describeFrame(bytes, codec);
  return decoded;
}

const vectors: Vector[] = [];

function valid(name: string, codecName: 'msgpack' | 'json', type: number, flags: number, rid: number, payload: unknown, note?: string, lean = false): void {
  const codec = codecs[codecName];
  const bytes = encodeFrame(type, flags, rid, codec.encode(payload));
  vectors.push({ kind: 'valid', name, ...(note ? { note } : {}), hex: toHex(bytes), codec: codecName, ...(lean ? { lean } : {}), decoded: describe(bytes, codecName) });
}

function hello(name: string, type: number, flags: number, payload: Uint8Array, note: string): void {
  const bytes = encodeFrame(type, flags, 0, payload);
  vectors.push({ kind: 'valid', name, note, hex: toHex(bytes), codec: 'json', decoded: describe(bytes, 'json') });
}

function invalid(name: string, bytes: Uint8Array, note: string): void {
  let error: { code: string; message: string } | undefined;
  try {
    decodeFrame(bytes);
  } catch (e) {
    if (e instanceof AgentSocketError) error = { code: e.code, message: e.message };
  }
  if (!error) throw new Error(`${name}: decodeFrame accepted it`);
  vectors.push({
    kind: 'invalid',
    name,
    note,
    hex: toHex(bytes),
    error,
    peer: { stage: 'session', error: ErrorCode.BAD_FRAME, requestId: 0, close: CloseCode.BAD_FRAME },
  });
}

function rejected(name: string, codecName: 'msgpack' | 'json', bytes: Uint8Array, peer: PeerReaction, note: string, lean = false): void {
  vectors.push({ kind: 'rejected', name, note, hex: toHex(bytes), codec: codecName, ...(lean ? { lean } : {}), decoded: describe(bytes, codecName), peer });
}

/** One WebSocket message holding several whole frames back to back (batching agreed in HELLO, §2). */
function batch(name: string, codecName: 'msgpack' | 'json', frames: Array<[type: number, flags: number, rid: number, payload: unknown]>, note: string): void {
  const codec = codecs[codecName];
  const parts = frames.map(([type, flags, rid, payload]) => encodeFrame(type, flags, rid, codec.encode(payload)));
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.byteLength;
  }
  vectors.push({ kind: 'batch', name, note, hex: toHex(bytes), codec: codecName, frames: parts.map((p) => describe(p, codecName)) });
}

/** A frame whose header is built by hand (any version, type or length). */
function rawFrame(byte0: number, flags: number, rid: number, payload: Uint8Array): Uint8Array {
  const out = encodeFrame(0, flags, rid, payload);
  out[0] = byte0;
  return out;
}

// ---- HELLO (always JSON) ----

const clientHello: ClientHello = {
  versions: [1],
  codecs: ['msgpack', 'json'],
  maxFrame: 16 * 1024 * 1024,
  heartbeatMs: 30_000,
  maxInflight: 64,
  tools: [],
};
hello('HELLO from the client, first connection', FrameType.HELLO, 0, encodeClientHello(clientHello),
  'What AgentClient sends by default. The payload is UTF-8 JSON whatever codec is negotiated.');
hello('HELLO from the client with token, agent id, tools and resume', FrameType.HELLO, 0,
  encodeClientHello({
    ...clientHello,
    codecs: ['msgpack'],
    token: 'secret-token',
    agent: 'cli-7',
    namespace: '/team-alpha',
    tools: [askTool],
    resume: { sessionId: ID.session, resumeToken: RESUME_TOKEN, lastReceived: 5 },
  }),
  'A reconnect: resume.sid/rt are from the previous HELLO reply, resume.last is the highest sq this client received.');
hello('HELLO resuming while server requests still run at the client (resume.busy)', FrameType.HELLO, 0,
  encodeClientHello({
    ...clientHello,
    resume: { sessionId: ID.session, resumeToken: RESUME_TOKEN, lastReceived: 7, busy: [0x8000, 0x8002] },
  }),
  'resume.busy lists the request ids of server requests the client is still running (left out when none). A server that restores '
    + 'the session from a shared store interrupts them and keeps their ids out of use until their terminal frames arrive.');

const serverHello: ServerHello = {
  version: 1,
  codec: 'msgpack',
  maxFrame: 16 * 1024 * 1024,
  heartbeatMs: 30_000,
  maxInflight: 256,
  sessionId: ID.session,
  resumeToken: RESUME_TOKEN,
  resumed: false,
  lastReceived: 0,
  agent: { name: 'research-assistant', version: '1.0.0', tools: [searchTool] },
  namespace: '/',
  agentId: ID.session,
};
hello('HELLO reply from the server (REPLY flag), new session', FrameType.HELLO, Flag.REPLY, encodeServerHello(serverHello),
  'flags = 0x01 (REPLY). From the next frame on, payloads use the codec named here.');
hello('HELLO reply from the server, session resumed', FrameType.HELLO, Flag.REPLY,
  encodeServerHello({ ...serverHello, resumed: true, lastReceived: 3, namespace: '/team-alpha', agentId: 'cli-7' }),
  'resumed = true: the client re-sends its RELIABLE frames with sq > last (3), in order.');
hello('HELLO from the client offering batching and carried acks', FrameType.HELLO, 0,
  encodeClientHello({ ...clientHello, batch: true, piggyback: true }),
  'batch: true offers several frames per WebSocket message (§2); piggyback: true offers acks carried by other frames (§11). '
    + 'Each applies only when the reply says true as well.');
hello('HELLO reply agreeing to batching and carried acks', FrameType.HELLO, Flag.REPLY,
  encodeServerHello({ ...serverHello, batch: true, piggyback: true }),
  'From now on either end may batch, and any payload but HELLO\'s and ACK\'s may carry ack.');
hello('ERROR refusing a handshake (JSON, before any HELLO reply)', FrameType.ERROR, 0,
  new TextEncoder().encode(JSON.stringify({ code: ErrorCode.UNAUTHORIZED, message: 'missing or invalid token' })),
  'Sent instead of the HELLO reply, on request 0, always JSON; the server then closes (here with 4401).');

// ---- INVOKE ----

valid('INVOKE, msgpack, at-least-once (RELIABLE), client request id 1', 'msgpack', FrameType.INVOKE, Flag.RELIABLE, 1,
  { id: ID.invoke1, tool: 'search', args: { q: 'websockets' }, sq: 1 },
  'dl is absent, which means 1 (at-least-once), so the frame is RELIABLE and carries sq.');
valid('INVOKE, msgpack, at-most-once (dl 0, not RELIABLE)', 'msgpack', FrameType.INVOKE, 0, 2,
  { id: ID.invoke2, tool: 'search', args: { q: 'msgpack' }, dl: 0 },
  'At-most-once INVOKEs and everything answering them carry no RELIABLE flag and no sq.');
valid('INVOKE, msgpack, exactly-once (dl 2) with traceparent, last client request id 0x7fff', 'msgpack', FrameType.INVOKE,
  Flag.RELIABLE, 0x7fff, { id: ID.invoke3, tool: 'search', args: { q: 'exactly once' }, dl: 2, tp: TRACEPARENT, sq: 2 });
valid('INVOKE from the server to the client, first server request id 0x8000', 'msgpack', FrameType.INVOKE, Flag.RELIABLE,
  0x8000, { id: ID.serverInvoke, tool: 'ask_user', args: { question: 'Which year do you mean?' }, sq: 1 },
  'Either side may INVOKE the other; the server allocates request ids from 0x8000-0xffff. Its sq counts its own RELIABLE frames.');
valid('INVOKE routed to another agent of the namespace (to)', 'msgpack', FrameType.INVOKE, Flag.RELIABLE, 3,
  { id: ID.invoke2, tool: 'summarize', args: { text: 'long text' }, to: 'writer-2', sq: 3 },
  'The server forwards it to the agent whose id is "writer-2" and streams its answer back on request 3.');
valid('INVOKE, JSON codec, at-least-once', 'json', FrameType.INVOKE, Flag.RELIABLE, 1,
  { id: ID.invoke1, tool: 'search', args: { q: 'websockets' }, sq: 1 });

// ---- STREAM ----

valid('STREAM, msgpack, first chunk (seq 0) of request 1', 'msgpack', FrameType.STREAM, Flag.RELIABLE, 1,
  { seq: 0, data: 'Web', sq: 1 });
valid('STREAM, msgpack, structured chunk', 'msgpack', FrameType.STREAM, Flag.RELIABLE, 1,
  { seq: 1, data: { title: 'RFC 6455', score: 0.93 }, sq: 2 }, 'Non-integer numbers are float 64 (0xcb).');
valid('STREAM, msgpack, binary chunk (bin 8)', 'msgpack', FrameType.STREAM, Flag.RELIABLE, 1,
  { seq: 2, data: new Uint8Array([0x00, 0x01, 0xfe, 0xff]), sq: 3 },
  'data is a MessagePack bin; in this file {"$bin": hex} stands for a bin value (docs/protocol.md §27). The JSON codec cannot carry binary.');
valid('STREAM, msgpack, at-most-once (not RELIABLE)', 'msgpack', FrameType.STREAM, 0, 2, { seq: 0, data: 'Mess' });
valid('STREAM, JSON codec', 'json', FrameType.STREAM, Flag.RELIABLE, 1, { seq: 0, data: 'Web', sq: 1 });

// ---- INTERRUPT ----

valid('INTERRUPT of a reliable request', 'msgpack', FrameType.INTERRUPT, Flag.RELIABLE, 1,
  { reason: 'user pressed stop', sq: 2 }, 'RELIABLE exactly when the interrupted request is.');
valid('INTERRUPT of an at-most-once request', 'msgpack', FrameType.INTERRUPT, 0, 2, { reason: 'aborted by caller' });

// ---- TOOL_DEF ----

valid('TOOL_DEF announcing a tool (request 0, always RELIABLE)', 'msgpack', FrameType.TOOL_DEF, Flag.RELIABLE, 0,
  { id: ID.toolDef1, tools: [askTool], removed: [], sq: 4 });
valid('TOOL_DEF withdrawing a tool', 'msgpack', FrameType.TOOL_DEF, Flag.RELIABLE, 0,
  { id: ID.toolDef2, tools: [], removed: ['search'], sq: 5 });

// ---- ERROR ----

valid('ERROR ending request 1 (terminal, RELIABLE like the request)', 'msgpack', FrameType.ERROR, Flag.RELIABLE, 1,
  { code: ErrorCode.INTERRUPTED, message: 'user pressed stop', sq: 4 });
valid('ERROR with data', 'msgpack', FrameType.ERROR, Flag.RELIABLE, 1,
  { code: ErrorCode.INVALID_ARGUMENTS, message: 'invalid arguments for "search": expected a string but got a number at /q', data: { path: '/q' }, sq: 4 });
valid('ERROR on request 0 (about the connection)', 'msgpack', FrameType.ERROR, 0, 0,
  { code: ErrorCode.UNKNOWN_FRAME_TYPE, message: 'frame type 0xe is not understood here' });

// ---- COMPLETE ----

valid('COMPLETE ending request 1', 'msgpack', FrameType.COMPLETE, Flag.RELIABLE, 1,
  { result: { answer: 'WebSockets are full duplex' }, metrics: { durationMs: 41.25, cpuMs: 0.875, chunks: 3 }, sq: 4 });
valid('COMPLETE without a result (handler returned nothing)', 'msgpack', FrameType.COMPLETE, 0, 2,
  { metrics: { durationMs: 3, cpuMs: 0.5, chunks: 1 } }, 'An undefined result is left out of the map; a receiver reads a missing result as null/undefined.');
valid('COMPLETE from the client for server request 0xffff', 'msgpack', FrameType.COMPLETE, Flag.RELIABLE, 0xffff,
  { result: '2024', metrics: { durationMs: 1520.5, cpuMs: 0.25, chunks: 0 }, sq: 7 });
valid('COMPLETE, JSON codec', 'json', FrameType.COMPLETE, Flag.RELIABLE, 1,
  { result: { answer: 'WebSockets are full duplex' }, metrics: { durationMs: 41.25, cpuMs: 0.875, chunks: 3 }, sq: 4 });

// ---- ACK, PING, PONG, GOAWAY ----

valid('ACK up to sq 4 (cumulative, request 0, never RELIABLE)', 'msgpack', FrameType.ACK, 0, 0, { ack: 4 });
valid('ACK, JSON codec', 'json', FrameType.ACK, 0, 0, { ack: 4 });
valid('PING from the client', 'msgpack', FrameType.PING, 0, 0, { t: 1732243200123 },
  'A millisecond timestamp does not fit 32 bits; the reference encoder writes it as float 64 (0xcb). Accept any MessagePack number.');
valid('PONG echoing the PING', 'msgpack', FrameType.PONG, 0, 0, { t: 1732243200123 });
valid('GOAWAY as sent by AgentServer.close()', 'msgpack', FrameType.GOAWAY, 0, 0,
  { code: ErrorCode.UNAVAILABLE, reason: 'server is shutting down', retryMs: 0 },
  'code is a wire error code, 503 (UNAVAILABLE), not a close code. The server then closes the connection itself with 1000; '
    + 'the client closes with 1001 (never 1000) and resumes after retryMs.');
valid('GOAWAY without retryMs', 'msgpack', FrameType.GOAWAY, 0, 0,
  { code: ErrorCode.UNAVAILABLE, reason: 'draining' }, 'Without retryMs the client reconnects with its usual backoff.');

// ---- MESSAGE (teams) ----

valid('MESSAGE to a room (server to client, RELIABLE)', 'msgpack', FrameType.MESSAGE, Flag.RELIABLE, 0,
  { id: ID.message1, ev: 'status', data: { progress: 0.5 }, from: 'planner', room: 'workers', sq: 6 },
  '"from" is the sending agent\'s id, set by the server. Receivers drop a message id they have already seen.');
valid('MESSAGE 1-1, at-most-once', 'msgpack', FrameType.MESSAGE, 0, 0,
  { id: ID.message2, ev: 'ping', data: null, from: 'planner' });

// ---- every MessagePack and JSON shape a payload can hold (inside args, data and result) ----

valid('INVOKE whose args hold every integer width', 'msgpack', FrameType.INVOKE, 0, 4, {
  id: ID.invoke1,
  tool: 'search',
  args: {
    fixint: 127,
    u8: 200,
    u16: 60_000,
    u32: 4_000_000_000,
    over32: 2 ** 32,
    negFix: -5,
    i8: -100,
    i16: -1000,
    i32: -100_000,
    under32: -(2 ** 31) - 1,
    zero: 0,
  },
  dl: 0,
}, 'Positive fixint, uint 8 (0xcc), uint 16 (0xcd), uint 32 (0xce); 2^32 is a float 64 (0xcb). Negative fixint, int 8 (0xd0), '
  + 'int 16 (0xd1), int 32 (0xd2); below -2^31 is a float 64. A receiver accepts any of these formats wherever the value fits (§4).');
valid('STREAM chunk with floats, booleans, nil and arrays', 'msgpack', FrameType.STREAM, 0, 2, {
  seq: 3,
  data: { half: 0.5, neg: -1.25, tiny: 1e-7, big: 1.5e300, yes: true, no: false, none: null, list: [1, 'two', [3], { four: 4 }, null] },
}, 'Floats are float 64 (0xcb) only; true 0xc3, false 0xc2, nil 0xc0; an array of 5 is a fixarray (0x95).');
valid('COMPLETE whose result has str 8, str 16, array 16 and map 16', 'msgpack', FrameType.COMPLETE, 0, 2, {
  result: {
    s8: 'x'.repeat(40),
    s16: 'y'.repeat(300),
    a16: Array.from({ length: 16 }, (_, i) => i),
    m16: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i.toString(16)}`, i])),
    utf8: 'héllo wörld ✓ 🚀',
  },
}, '40 bytes are a str 8 (0xd9), 300 a str 16 (0xda), 16 elements an array 16 (0xdc) and a map 16 (0xde); strings are UTF-8 (the rocket takes 4 bytes).');
valid('COMPLETE, JSON codec, strings that need escaping', 'json', FrameType.COMPLETE, 0, 2, {
  result: { quote: 'say "hi"', backslash: 'a\\b', controls: 'line\nnext\ttab\u0001\u001f\b\f\r', slash: 'a/b', nonAscii: 'é ✓ 🚀', lineSep: 'x\u2028y' },
}, 'As JSON.stringify writes them (§4.1): " and \\ and U+0000-U+001F are escaped (\\b \\f \\n \\r \\t, otherwise \\u00XX lower-case); '
  + '/ and non-ASCII (U+2028 included) are raw UTF-8.');
valid('INVOKE, JSON codec, negative, large and fractional numbers', 'json', FrameType.INVOKE, 0, 5, {
  id: ID.invoke2,
  tool: 'search',
  args: { neg: -42, big: 2 ** 53 - 1, frac: 0.1, tiny: 1e-7, huge: 1e21, negZero: -0 },
  dl: 0,
}, 'Integers without a fraction or exponent; other numbers in the shortest form that reads back (0.1, 1e-7, 1e+21); -0 is written 0.');

// ---- carried acks and batches (both agreed in HELLO) ----

valid('STREAM carrying an ack (piggyback agreed)', 'msgpack', FrameType.STREAM, Flag.RELIABLE, 1,
  { seq: 4, data: 'tok', sq: 9, ack: 12 },
  'ack 12 acknowledges every frame up to sq 12 from the other side, like an ACK frame would (§11). The reference writes it after sq.');
valid('COMPLETE at-most-once carrying an ack (piggyback agreed)', 'msgpack', FrameType.COMPLETE, 0, 2,
  { result: 'done', metrics: { durationMs: 2, cpuMs: 0.5, chunks: 0 }, ack: 13 },
  'A frame that is not RELIABLE may carry ack too.');
batch('three frames in one WebSocket message (batch agreed)', 'msgpack', [
  [FrameType.STREAM, Flag.RELIABLE, 1, { seq: 5, data: 'Hel', sq: 10 }],
  [FrameType.STREAM, Flag.RELIABLE, 1, { seq: 6, data: 'lo', sq: 11 }],
  [FrameType.COMPLETE, Flag.RELIABLE, 1, { result: 'Hello', metrics: { durationMs: 12.5, cpuMs: 1, chunks: 7 }, sq: 12, ack: 14 }],
], 'The receiver cuts the message into frames by each header\'s payload length (§2); the lengths tile the message exactly. '
  + 'frames[i] describes the i-th frame as a valid vector does.');

// ---- invalid: not a frame ----

const ping = msgpackCodec().encode({ t: 1 });
const pingLength = ping.byteLength; // 4: 81 a1 74 01
invalid('empty message', new Uint8Array(0), 'Shorter than the 8-byte header.');
invalid('header cut short (7 bytes)', encodeFrame(FrameType.PING, 0, 0, ping).subarray(0, 7), 'Shorter than the 8-byte header.');
invalid('length field larger than the payload', encodeFrame(FrameType.PING, 0, 0, ping).subarray(0, 8 + pingLength - 1),
  `The header says ${pingLength} payload bytes, ${pingLength - 1} arrived (a frame is exactly one WebSocket message).`);
invalid('length field smaller than the payload', Uint8Array.from([...encodeFrame(FrameType.PING, 0, 0, ping), 0x00]),
  `The header says ${pingLength} payload bytes, ${pingLength + 1} arrived: trailing bytes are not allowed.`);

// ---- rejected: a frame, but a session refuses it ----

const mp = codecs.msgpack;
const te = new TextEncoder();
const hs = (error: number, close: number): PeerReaction => ({ stage: 'handshake', error, requestId: 0, close });
const open = (error: number, requestId: number): PeerReaction => ({ stage: 'session', error, requestId, close: null });
const fatal = (error: number): PeerReaction => ({ stage: 'session', error, requestId: 0, close: CloseCode.BAD_FRAME });
const tokenHello = { ...clientHello, codecs: ['msgpack'], token: 'secret-token' };

rejected('handshake: first frame is not HELLO', 'json', encodeFrame(FrameType.PING, 0, 0, te.encode('{"t":1}')),
  hs(ErrorCode.BAD_FRAME, CloseCode.BAD_FRAME), 'Anything but a client HELLO as the first frame: JSON ERROR 400, close 4400.');
rejected('handshake: HELLO with the REPLY flag from a client', 'json', encodeFrame(FrameType.HELLO, Flag.REPLY, 0, encodeClientHello(tokenHello)),
  hs(ErrorCode.BAD_FRAME, CloseCode.BAD_FRAME), 'Only the server sets REPLY.');
rejected('handshake: HELLO payload is not JSON', 'json', encodeFrame(FrameType.HELLO, 0, 0, mp.encode(tokenHello)),
  hs(ErrorCode.BAD_FRAME, CloseCode.BAD_FRAME), 'HELLO is JSON even when both sides will speak MessagePack.');
rejected('handshake: no common protocol version', 'json', encodeFrame(FrameType.HELLO, 0, 0, encodeClientHello({ ...tokenHello, versions: [2] })),
  hs(ErrorCode.UNSUPPORTED_VERSION, CloseCode.UNSUPPORTED_VERSION), 'v must contain 1.');
rejected('handshake: no common codec', 'json', encodeFrame(FrameType.HELLO, 0, 0, encodeClientHello({ ...tokenHello, codecs: ['cbor'] })),
  hs(ErrorCode.UNSUPPORTED_CODEC, CloseCode.UNSUPPORTED_CODEC), 'The server speaks msgpack and json.');
rejected('handshake: missing token', 'json', encodeFrame(FrameType.HELLO, 0, 0, encodeClientHello({ ...clientHello, codecs: ['msgpack'] })),
  hs(ErrorCode.UNAUTHORIZED, CloseCode.UNAUTHORIZED),
  'Against a server with an authenticate hook (it accepts secret-token) and no Authorization header at the upgrade; a server without a hook accepts everyone (docs/protocol.md §27).');

rejected('handshake: namespace name without a leading slash', 'json', encodeFrame(FrameType.HELLO, 0, 0, encodeClientHello({ ...tokenHello, namespace: 'team-alpha' })),
  hs(ErrorCode.FORBIDDEN, CloseCode.FORBIDDEN), 'A namespace is "/" followed by up to 127 of [A-Za-z0-9_.-/].');
rejected('unknown frame type 0xE', 'msgpack', encodeFrame(0xe, 0, 3, mp.encode({})), open(ErrorCode.UNKNOWN_FRAME_TYPE, 3),
  'ERROR 501 on the frame\'s own request id; the connection stays open.');
rejected('EXTENSION frame (0xF), not understood by this implementation', 'msgpack', encodeFrame(FrameType.EXTENSION, 0, 0, mp.encode({ ext: 'x' })),
  open(ErrorCode.UNKNOWN_FRAME_TYPE, 0), '0xF is reserved for extensions; none is defined, so 501 and the connection stays open.');
rejected('HELLO after the handshake', 'msgpack', encodeFrame(FrameType.HELLO, 0, 0, encodeClientHello(tokenHello)),
  open(ErrorCode.UNKNOWN_FRAME_TYPE, 0), 'One HELLO per connection.');
rejected('header version 2', 'msgpack', rawFrame(0x29, 0, 0, mp.encode({ t: 1 })),
  { stage: 'session', error: ErrorCode.UNSUPPORTED_VERSION, requestId: 0, close: CloseCode.UNSUPPORTED_VERSION },
  'Byte 0 = 0x29: version 2, type PING. ERROR 426 on request 0, then close 4426.');
rejected('payload is not MessagePack', 'msgpack', encodeFrame(FrameType.PING, 0, 0, Uint8Array.of(0xc1)), fatal(ErrorCode.BAD_FRAME),
  '0xc1 is never used in MessagePack.');
rejected('empty payload', 'msgpack', encodeFrame(FrameType.PING, 0, 0, new Uint8Array(0)), fatal(ErrorCode.BAD_FRAME),
  'Every payload is a map, even PING\'s: an empty payload does not decode.');
rejected('payload with a trailing byte after the map', 'msgpack', encodeFrame(FrameType.PING, 0, 0, Uint8Array.from([...mp.encode({ t: 1 }), 0x00])),
  fatal(ErrorCode.BAD_FRAME), 'A payload is exactly one MessagePack value.');
// An INVOKE map {id, tool, dl} with a fourth key, args, appended by hand.
const invokeWithArgs = (args: number[]) => Uint8Array.from([0x84, ...mp.encode({ id: ID.invoke1, tool: 'search', dl: 0 }).subarray(1), 0xa4, ...te.encode('args'), ...args]);
rejected('payload with 0xc1 nested in a map, on a request id', 'msgpack', encodeFrame(FrameType.INVOKE, 0, 1, invokeWithArgs([0x81, 0xa1, 0x71, 0xc1])),
  fatal(ErrorCode.BAD_FRAME), 'args is {q: 0xc1}: 0xc1 is never used in MessagePack, at any depth. Rule 5 comes before rule 9: the connection closes although the request id is not 0.');
rejected('payload with an extension type, on a request id', 'msgpack', encodeFrame(FrameType.INVOKE, 0, 1, invokeWithArgs([0x81, 0xa1, 0x71, 0xd4, 0x00, 0x2a])),
  fatal(ErrorCode.BAD_FRAME), 'args is {q: fixext 1 of type 0}: well-formed MessagePack, but no extension type is accepted (§4).');
rejected('payload with the timestamp extension, on a request id', 'msgpack', encodeFrame(FrameType.INVOKE, 0, 1, invokeWithArgs([0x81, 0xa1, 0x71, 0xd6, 0xff, 0x65, 0x53, 0xf1, 0x00])),
  fatal(ErrorCode.BAD_FRAME), 'args is {q: fixext 4 of type -1}, the standard timestamp 2023-11-14T22:13:20Z: an extension type like any other (§4); a date is sent as its ISO string.');
rejected('payload with an integer map key, on a request id', 'msgpack', encodeFrame(FrameType.INVOKE, 0, 1, invokeWithArgs([0x81, 0x01, 0xa1, 0x71])),
  fatal(ErrorCode.BAD_FRAME), 'args is {1: "q"}: map keys are str (§4); an integer key is not turned into a string.');
rejected('payload with a string that is not UTF-8, on a request id', 'msgpack', encodeFrame(FrameType.INVOKE, 0, 1, invokeWithArgs([0x81, 0xa1, 0x71, 0xa3, 0xed, 0xa0, 0x80])),
  fatal(ErrorCode.BAD_FRAME), 'args is {q: str ED A0 80}, an encoded lone surrogate (U+D800): not well-formed UTF-8 (§4).');
rejected('empty JSON payload, on a request id', 'json', encodeFrame(FrameType.INVOKE, 0, 1, new Uint8Array(0)), fatal(ErrorCode.BAD_FRAME),
  'An empty payload is not a JSON value either.');
rejected('RELIABLE flag without sq', 'msgpack', encodeFrame(FrameType.INVOKE, Flag.RELIABLE, 1, mp.encode({ id: ID.invoke1, tool: 'search', args: { q: 'x' } })),
  fatal(ErrorCode.BAD_FRAME), 'sq must be a positive integer in every RELIABLE payload.');
rejected('ACK with a string', 'msgpack', encodeFrame(FrameType.ACK, 0, 0, mp.encode({ ack: 'all' })), fatal(ErrorCode.BAD_FRAME),
  'A malformed payload on request 0 closes the connection.');
rejected('malformed ERROR frame', 'msgpack', encodeFrame(FrameType.ERROR, 0, 5, mp.encode({ message: 'no code' })), fatal(ErrorCode.BAD_FRAME),
  'A malformed ERROR closes the connection whatever its request id (answering it with an ERROR could loop).');
rejected('INVOKE without a tool name', 'msgpack', encodeFrame(FrameType.INVOKE, 0, 1, mp.encode({ id: ID.invoke1, args: {}, dl: 0 })),
  open(ErrorCode.BAD_FRAME, 1), 'A malformed payload on a request id fails that request only.');
rejected('INVOKE on a request id from the server\'s half', 'msgpack', encodeFrame(FrameType.INVOKE, 0, 0x8001, mp.encode({ id: ID.invoke1, tool: 'search', args: { q: 'x' }, dl: 0 })),
  open(ErrorCode.BAD_FRAME, 0x8001), 'A client allocates 0x0001-0x7fff only.');
rejected('INVOKE flagged RELIABLE with dl 0', 'msgpack', encodeFrame(FrameType.INVOKE, Flag.RELIABLE, 1, mp.encode({ id: ID.invoke1, tool: 'search', args: { q: 'x' }, dl: 0, sq: 1 })),
  open(ErrorCode.BAD_FRAME, 1), 'RELIABLE must be set exactly when dl is 1 or 2.');
rejected('INVOKE of a tool the server does not have', 'msgpack', encodeFrame(FrameType.INVOKE, 0, 1, mp.encode({ id: ID.invoke1, tool: 'no_such_tool', args: {}, dl: 0 })),
  open(ErrorCode.TOOL_NOT_FOUND, 1), 'The terminal frame of the request is ERROR 404.');
rejected('INVOKE with arguments that fail the tool\'s schema', 'json', encodeFrame(FrameType.INVOKE, 0, 1, codecs.json.encode({ id: ID.invoke1, tool: 'search', args: { q: 42 }, dl: 0 })),
  open(ErrorCode.INVALID_ARGUMENTS, 1),
  'Against a server serving search {q: string} (docs/protocol.md §27); the terminal frame is ERROR 422. A server without search answers 404.');

// ---- the lean envelope (agreed in HELLO, §7): INVOKE, STREAM and COMPLETE in their lean form ----

hello('HELLO from the client offering the lean envelope', FrameType.HELLO, 0,
  encodeClientHello({ ...clientHello, batch: true, piggyback: true, lean: true }),
  'What AgentClient sends over WebSocket by default. lean: true offers the lean form of INVOKE, STREAM and COMPLETE (§6); it applies only when the reply says true as well.');
hello('HELLO reply agreeing to the lean envelope', FrameType.HELLO, Flag.REPLY,
  encodeServerHello({ ...serverHello, batch: true, piggyback: true, lean: true }),
  'From now on either end may send INVOKE, STREAM and COMPLETE in the lean form, and must read both forms.');
const leanId = (id: string): Uint8Array => {
  const bytes = ulidToBytes(id);
  if (!bytes) throw new Error(`${id} is not a canonical ULID`);
  return bytes;
};
valid('lean INVOKE, msgpack, at-least-once, message id as 16 bytes', 'msgpack', FrameType.INVOKE, Flag.RELIABLE, 1,
  { i: leanId(ID.invoke1), n: 'search', a: { q: 'websockets' }, sq: 1 },
  `The message id is ${ID.invoke1}: its 128 bits, big-endian (48-bit time, then 80 random bits), as a bin 8 of 16 bytes (§9). `
    + 'No m: the COMPLETE will carry no metrics.', true);
valid('lean INVOKE, exactly-once, an id of the caller\'s own, metrics asked for', 'msgpack', FrameType.INVOKE, Flag.RELIABLE, 2,
  { i: 'order-42', n: 'search', a: { q: 'exactly once' }, dl: 2, m: true, sq: 2 },
  'An id that is not a canonical ULID travels as a string, as it would in the long form. m: true asks for metrics in the COMPLETE.', true);
valid('lean INVOKE, JSON codec (the id stays a string)', 'json', FrameType.INVOKE, Flag.RELIABLE, 1,
  { i: ID.invoke1, n: 'search', a: { q: 'websockets' }, sq: 1 },
  'JSON has no binary type: with the json codec the lean form keeps the 26-character id.', true);
valid('lean STREAM carrying an ack', 'msgpack', FrameType.STREAM, Flag.RELIABLE, 1,
  { s: 0, d: 'Web', sq: 1, ack: 1 }, 's and d are seq and data; sq and ack keep their names.', true);
valid('lean COMPLETE without metrics (the INVOKE did not ask)', 'msgpack', FrameType.COMPLETE, Flag.RELIABLE, 1,
  { r: { answer: 'WebSockets are full duplex' }, sq: 2 },
  'r is result. The caller reads the missing metrics as durationMs 0 and chunks 0.', true);
valid('lean COMPLETE with metrics (the INVOKE had m: true)', 'msgpack', FrameType.COMPLETE, Flag.RELIABLE, 2,
  { r: { answer: 'recorded' }, m: { durationMs: 41.25, cpuMs: 0.875, chunks: 0 }, sq: 3 },
  'm is metrics, with the keys of the long form.', true);
rejected('lean INVOKE whose message id is 15 bytes', 'msgpack',
  encodeFrame(FrameType.INVOKE, 0, 1, mp.encode({ i: leanId(ID.invoke1).subarray(0, 15), n: 'search', a: { q: 'x' }, dl: 0 })),
  open(ErrorCode.BAD_FRAME, 1), 'A binary message id is exactly 16 bytes; anything else is a malformed payload on that request (§18 rule 9).', true);
rejected('lean INVOKE on a connection that did not agree to it', 'msgpack',
  encodeFrame(FrameType.INVOKE, 0, 1, mp.encode({ i: leanId(ID.invoke1), n: 'search', a: { q: 'x' }, dl: 0 })),
  open(ErrorCode.BAD_FRAME, 1), 'Without the agreement i, n and a are unknown fields and the INVOKE has no id: ERROR 400 on its request id, as for any INVOKE without one.');

const out = fileURLToPath(new URL('../../../docs/test-vectors.json', import.meta.url));
writeFileSync(out, `${JSON.stringify(vectors, null, 2)}\n`);
console.log(`wrote ${vectors.length} vectors to ${out}`);
