import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  canonicalBytes,
  encodeRelayFrame,
  hmacHex,
  encodeCancelRequest,
  parseCancelRequest,
  parseInvokeRequest,
  type RelayCodecName,
  RelayFrameError,
  RelayFrameReader,
  relayCodec,
  toHex,
  verifyRequest,
} from '../src/index.js';
import { fromJsonValue, toJsonValue } from './vector-values.js';
import { playRun, type RunStep } from './vector-runs.js';

type Vector = Record<string, unknown> & { kind: string; name: string };
const vectors = JSON.parse(readFileSync(new URL('../../../docs/relay-vectors.json', import.meta.url), 'utf8')) as Vector[];
const bytes = (hex: unknown) => Uint8Array.from(String(hex).match(/../g) ?? [], (h) => Number.parseInt(h, 16));
const byKind = (kind: string) => vectors.filter((v) => v.kind === kind);

describe('docs/relay-vectors.json against the code', () => {
  it('has vectors of every kind', () => {
    for (const kind of ['signature', 'request', 'cancel', 'frame', 'bad-frame', 'token', 'run']) expect(byKind(kind).length, kind).toBeGreaterThan(0);
  });

  it.each(byKind('signature').map((v) => [v.name, v] as const))('%s', async (_name, v) => {
    const body = bytes(v['bodyHex']);
    const canonical = canonicalBytes(String(v['timestamp']), String(v['method']), String(v['endpoint']), body);
    expect(toHex(canonical)).toBe(v['canonicalHex']);
    const headers = v['headers'] as Record<string, string>;
    expect(`v1=${await hmacHex(String(v['secret']), canonical)}`).toBe(headers['x-asp-signature']);
    const check = await verifyRequest(String(v['secret']), new Headers(headers), String(v['method']), String(v['endpoint']), body, { now: Number(v['timestamp']) });
    expect(check).toEqual({ ok: true });
    const tampered = await verifyRequest(String(v['secret']), new Headers(headers), String(v['method']), String(v['endpoint']), new Uint8Array([...body, 32]), { now: Number(v['timestamp']) });
    expect(tampered.ok).toBe(false);
  });

  it.each(byKind('request').map((v) => [v.name, v] as const))('%s', (_name, v) => {
    const codec = relayCodec(v['codec'] as RelayCodecName);
    const decoded = codec.decode(bytes(v['hex']));
    expect(toJsonValue(decoded)).toEqual(v['decoded']);
    expect(toHex(codec.encode(fromJsonValue(v['decoded'])))).toBe(v['hex']);
    expect(() => parseInvokeRequest(decoded)).not.toThrow();
  });

  it.each(byKind('cancel').map((v) => [v.name, v] as const))('%s', (_name, v) => {
    const codec = relayCodec(v['codec'] as RelayCodecName);
    const decoded = codec.decode(bytes(v['hex']));
    expect(toJsonValue(decoded)).toEqual(v['decoded']);
    const parsed = parseCancelRequest(decoded);
    expect(toHex(encodeCancelRequest(parsed, codec))).toBe(v['hex']);
  });

  it.each(byKind('run').map((v) => [v.name, v] as const))('%s', async (_name, v) => {
    const steps = v['steps'] as RunStep[];
    // Played again against the reference function: the same statuses, the same frames in the same order.
    const played = await playRun(steps);
    expect(played.steps).toEqual(steps);
    expect(played.runs).toEqual(v['handler']);
  });

  it.each(byKind('frame').map((v) => [v.name, v] as const))('%s', (_name, v) => {
    const codec = relayCodec(v['codec'] as RelayCodecName);
    const raw = bytes(v['hex']);
    const decoded = v['decoded'] as { type: number; length: number; payload: unknown };
    expect(raw[0]).toBe(decoded.type);
    expect(raw.byteLength - 5).toBe(decoded.length);
    // Fed one byte at a time: frames are cut by their length fields, never by how bytes arrive.
    const reader = new RelayFrameReader(codec);
    const frames = [...raw].flatMap((b) => reader.push(new Uint8Array([b])));
    expect(frames).toHaveLength(1);
    const [frame] = frames;
    if (!frame) return;
    expect(toHex(encodeRelayFrame(frame, codec))).toBe(v['hex']);
    if (decoded.type !== 2 && decoded.type !== 7) expect(toJsonValue(codec.decode(raw.subarray(5)))).toEqual(decoded.payload);
  });

  it.each(byKind('bad-frame').map((v) => [v.name, v] as const))('%s', (_name, v) => {
    const reader = new RelayFrameReader(relayCodec((v['codec'] as RelayCodecName | undefined) ?? 'json'));
    expect(() => reader.push(bytes(v['hex']))).toThrow(RelayFrameError);
  });

  it('cuts a stream of many frames the same way however it is split', () => {
    const codec = relayCodec('msgpack');
    // Non-terminal frames, then one terminal frame, then bytes the reader must not look at.
    const frames = byKind('frame').filter((v) => v['codec'] === 'msgpack');
    const isTerminal = (v: Vector) => [3, 4].includes((v['decoded'] as { type: number }).type);
    const all = [...frames.filter((v) => !isTerminal(v)), ...frames.filter(isTerminal).slice(0, 1)].map((v) => bytes(v['hex']));
    const stream = Uint8Array.from([...all.flatMap((b) => [...b]), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    let seed = 7;
    for (let round = 0; round < 50; round++) {
      const reader = new RelayFrameReader(codec);
      const out = [];
      for (let at = 0; at < stream.length; ) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        const n = 1 + (seed % 40);
        out.push(...reader.push(stream.subarray(at, at + n)));
        at += n;
      }
      expect(out.map((f) => toHex(encodeRelayFrame(f, codec)))).toEqual(all.map(toHex));
      expect(reader.pending).toBe(0);
      expect(reader.ended).toBe(true);
    }
  });

  it('refuses a frame longer than the limit from its header alone', () => {
    const reader = new RelayFrameReader(relayCodec('json'), 1024);
    expect(() => reader.push(new Uint8Array([1, 0, 0, 4, 1]))).toThrow(expect.objectContaining({ tooLarge: true }));
  });
});
