import type { AgentClient, Call, Delivery } from '@agentsocket/core';
import type { Range } from './proxy.js';
import { Rng } from './rng.js';

export type CallKind = 'exactly-once' | 'at-least-once' | 'stream';
export const KINDS: readonly CallKind[] = ['exactly-once', 'at-least-once', 'stream'];

/** One call as its caller saw it. */
export interface CallRecord {
  kind: CallKind;
  /** Unique per call; the handler reports it, so runs and effects are counted per call. */
  key: string;
  issuedAt: number;
  /** When it completed or failed; undefined if it never did (lost). */
  settledAt: number | undefined;
  status: 'ok' | 'failed' | 'pending';
  /** For a failed call: its error's code (or name) and message. */
  error: string | undefined;
  /** Streams: chunks seen a second time, chunks that arrived after a later one, chunks never seen. */
  chunks: { duplicated: number; reordered: number; missing: number };
  /** The answer was not this call's (a wrong key or chunk count). */
  mismatched: boolean;
}

export interface WorkloadOptions {
  /** Calls go to these clients in turn. */
  clients: readonly AgentClient[];
  /** How many calls in all. */
  calls: number;
  /** Calls in flight at once. */
  inFlight: number;
  /** The kinds to mix, drawn evenly. @default all three */
  kinds?: readonly CallKind[];
  /** Seeds the mix of kinds and the handlers' work times. */
  seed: number;
  /** Prefix of every call key, unique per run. */
  runId: string;
  /** Chunks per stream. @default 20 */
  chunks?: number;
  /** Pause before each chunk, ms. @default 2 */
  chunkDelayMs?: number;
  /** How long a unary handler works. @default 0–20 ms */
  workMs?: Range;
  /**
   * A call with no outcome this long after it was issued stops holding its slot and, unless it
   * settles before the run ends, counts as lost. Far above any recovery target. @default 30000
   */
  lostAfterMs?: number;
  /** Stop issuing calls once this returns true (a soak by time). */
  stop?: () => boolean;
  /** Each call as it settles, or when it stops holding its slot. */
  onCall?: (record: CallRecord) => void;
}

const DELIVERY: Record<CallKind, Delivery> = { 'exactly-once': 'exactly-once', 'at-least-once': 'at-least-once', stream: 'at-least-once' };
const TOOL: Record<CallKind, string> = { 'exactly-once': 'effect', 'at-least-once': 'touch', stream: 'chunks' };

/**
 * Keeps `inFlight` calls running until `calls` were issued: a seeded mix of exactly-once unary
 * calls, at-least-once unary calls and streams. Resolves when every call settled or was given up
 * on after `lostAfterMs`, and after a last wait for those (so a call is lost only if it never settles).
 */
export async function runWorkload(options: WorkloadOptions): Promise<CallRecord[]> {
  const rng = new Rng(options.seed);
  const n = options.chunks ?? 20;
  const chunkDelayMs = options.chunkDelayMs ?? 2;
  const work = options.workMs ?? { minMs: 0, maxMs: 20 };
  const lostAfterMs = options.lostAfterMs ?? 30_000;
  const records: CallRecord[] = [];
  const unsettled: Array<Promise<void>> = [];
  let next = 0;

  const one = async (index: number) => {
    const kind = rng.pick(options.kinds ?? KINDS);
    const key = `${options.runId}-${index}`;
    const client = options.clients[index % options.clients.length];
    if (!client) throw new Error('no clients');
    const record: CallRecord = {
      kind,
      key,
      issuedAt: Date.now(),
      settledAt: undefined,
      status: 'pending',
      error: undefined,
      chunks: { duplicated: 0, reordered: 0, missing: 0 },
      mismatched: false,
    };
    records.push(record);
    const args = kind === 'stream' ? { key, n, delayMs: chunkDelayMs } : { key, workMs: rng.int(work.minMs, work.maxMs) };
    const call = client.invoke(TOOL[kind], args, { delivery: DELIVERY[kind] });
    call.result.catch(() => {}); // read below; a stream that fails rejects both its iterator and its result
    const settled = follow(call, record, n).then(() => {
      record.settledAt = Date.now();
      options.onCall?.(record);
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const givenUp = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, lostAfterMs);
    });
    await Promise.race([settled, givenUp]);
    clearTimeout(timer);
    if (record.status === 'pending') {
      unsettled.push(settled);
      options.onCall?.(record);
    }
  };

  const worker = async () => {
    while (next < options.calls && !options.stop?.()) {
      const index = next++;
      await one(index);
    }
  };
  await Promise.all(Array.from({ length: options.inFlight }, worker));
  // Calls given up on still get a last chance, once more as long, while nothing else runs.
  if (unsettled.length > 0) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const wait = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, lostAfterMs);
    });
    await Promise.race([Promise.all(unsettled), wait]);
    clearTimeout(timer);
  }
  return records;
}

async function follow(call: Call, record: CallRecord, n: number): Promise<void> {
  try {
    if (record.kind === 'stream') {
      const seen = new Set<number>();
      let highest = -1;
      for await (const chunk of call) {
        const i = chunkIndex(chunk);
        if (i === undefined) record.mismatched = true;
        else if (seen.has(i)) record.chunks.duplicated++;
        else {
          if (i < highest) record.chunks.reordered++;
          seen.add(i);
          highest = Math.max(highest, i);
        }
      }
      const { value } = await call.result;
      record.chunks.missing = n - seen.size;
      if (!isRecord(value) || value['key'] !== record.key || value['n'] !== n) record.mismatched = true;
    } else {
      const { value } = await call.result;
      if (!isRecord(value) || value['key'] !== record.key) record.mismatched = true;
    }
    record.status = 'ok';
  } catch (error) {
    record.status = 'failed';
    record.error = describe(error);
  }
}

function chunkIndex(chunk: unknown): number | undefined {
  return isRecord(chunk) && typeof chunk['i'] === 'number' ? chunk['i'] : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = 'code' in error && (typeof error.code === 'number' || typeof error.code === 'string') ? error.code : error.name;
    return `${code} ${error.message}`;
  }
  return String(error);
}
