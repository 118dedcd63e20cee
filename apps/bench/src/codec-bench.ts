import { isDeepStrictEqual } from 'node:util';
import { CALL_PROFILES, interleave, median, pairedRatios, type RoundVariant, timeOps } from '@agentsocket/bench-kit';
import type { Codec } from '@agentsocket/core';
import { jsonCodec, msgpackCodec, ulidFactory } from '@agentsocket/core/internal';
import { msgpackReferenceCodec, msgpackrPlainCodec } from './reference-codecs.js';

/**
 * A realistic INVOKE payload as a client builds it (see Peer.start): ULID message id, tool, the
 * small echo profile's args, delivery level and the session sequence number of a reliable frame.
 */
function sampleInvokePayload(): Record<string, unknown> {
  const echo = CALL_PROFILES[0];
  return { id: ulidFactory()(), tool: echo?.tool, args: { ...echo?.args }, dl: 1, sq: 123_456 };
}

export interface CodecVariantResult {
  name: string;
  description: string;
  /** Encoded size of the sample envelope, bytes. */
  bytes: number;
  /** ns per encode+decode, one entry per round (each the fastest of the round's slices). */
  nsPerOp: number[];
  medianNsPerOp: number;
}

export interface CodecBenchResult {
  payload: Record<string, unknown>;
  rounds: number;
  roundMs: number;
  variants: CodecVariantResult[];
  /** Paired per-round ratios, median: JSON time / ours (≥ 1 means ours is at least as fast). */
  jsonOverOurs: number;
  /** @msgpack/msgpack time / ours (> 1 means ours is faster). */
  referenceOverOurs: number;
  /** Variants whose decode did not give back the payload. */
  broken: string[];
  /** Both MessagePack codecs wrote the same bytes for the payload (so the choice is speed alone). */
  msgpackIdentical: boolean;
}

interface CodecCase {
  name: string;
  description: string;
  /** Encodes then decodes once; returns the decoded value. */
  roundTrip: (value: unknown) => unknown;
  size: (value: unknown) => number;
}

function codecCase(name: string, description: string, codec: Codec): CodecCase {
  return { name, description, roundTrip: (v) => codec.decode(codec.encode(v)), size: (v) => codec.encode(v).byteLength };
}


/**
 * Encoding + decoding one small INVOKE payload: our default codec, the reference MessagePack
 * library, JSON, and msgpackr on its own. Interleaved rounds of `roundMs` each. A round's figure
 * is its fastest of 10 slices (a slice in which another process took the CPU says nothing about
 * the codec); the result is the median over rounds.
 */
export async function runCodecBench(options: { rounds: number; roundMs: number; onProgress?: (line: string) => void }): Promise<CodecBenchResult> {
  const payload = sampleInvokePayload();
  const cases: CodecCase[] = [
    codecCase('msgpack (ours, default)', 'msgpackCodec(): core\'s own strict encoder and decoder', msgpackCodec()),
    codecCase('@msgpack/msgpack', 'msgpackReferenceCodec(): reused Encoder/Decoder', msgpackReferenceCodec()),
    {
      name: 'JSON string',
      description: 'JSON.parse(JSON.stringify(value))',
      roundTrip: (v) => JSON.parse(JSON.stringify(v)),
      size: (v) => Buffer.byteLength(JSON.stringify(v)),
    },
    codecCase('JSON bytes', 'jsonCodec(): JSON + UTF-8 TextEncoder/TextDecoder', jsonCodec()),
    codecCase('msgpackr plain mode', 'msgpackr Packr/Unpackr in plain mode (the default before core had its own)', msgpackrPlainCodec()),
  ];
  const broken = cases.filter((c) => !isDeepStrictEqual(c.roundTrip(payload), payload)).map((c) => c.name);
  const msgpackIdentical = Buffer.from(msgpackCodec().encode(payload)).equals(Buffer.from(msgpackReferenceCodec().encode(payload)));

  let sink = 0;
  const variants: RoundVariant<number>[] = cases.map((c) => ({
    name: c.name,
    run: () =>
      timeOps(() => {
        // Touch the result so the work cannot be optimised away.
        if (c.roundTrip(payload) === undefined) sink++;
      }, options.roundMs).nsPerOp,
  }));
  const results = await interleave(variants, {
    rounds: options.rounds,
    warmups: 2,
    onResult: (name, round, ns) => options.onProgress?.(`codec round ${round + 1}/${options.rounds}  ${name.padEnd(26)} ${ns.toFixed(0)} ns/op`),
  });
  if (sink !== 0) broken.push('(a round trip returned undefined)');

  const series = (name: string) => results.get(name) ?? [];
  const [ours, reference, json] = [cases[0], cases[1], cases[2]].map((c) => series(c?.name ?? ''));
  return {
    payload,
    rounds: options.rounds,
    roundMs: options.roundMs,
    variants: cases.map((c) => ({
      name: c.name,
      description: c.description,
      bytes: c.size(payload),
      nsPerOp: series(c.name),
      medianNsPerOp: median(series(c.name)),
    })),
    jsonOverOurs: median(pairedRatios(json ?? [], ours ?? [])),
    referenceOverOurs: median(pairedRatios(reference ?? [], ours ?? [])),
    broken,
    msgpackIdentical,
  };
}
