import { type Agent, defineAgent, tool } from '@agentsocket/core';

/** Where a handler reports what it did, so the harness can count runs and side effects. */
export interface EffectSink {
  /** A handler began for the call with this key (a second begin is a re-run). */
  started(tool: string, key: string): void;
  /**
   * The side effect of an `effect` call, sent to an external system with an idempotency key (the
   * call's message id, stable across re-runs and retries): the system applies it once per key.
   */
  effect(key: string, idempotencyKey: string): void;
}

const keyed = {
  type: 'object',
  properties: { key: { type: 'string', minLength: 1, maxLength: 200 }, workMs: { type: 'integer', minimum: 0, maximum: 10_000 } },
  required: ['key'],
  additionalProperties: false,
} as const;

function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The agent under fire. `effect` has a side effect (called exactly-once), made with `ctx.once`; `touch` has none
 * (at-least-once), `chunks` streams `{ i }` for i < n. Every handler takes a while, so faults
 * land while handlers run, and stops when its signal aborts, as a well-behaved handler does.
 */
export function chaosAgent(node: string, sink: EffectSink): Agent {
  return defineAgent({
    name: 'chaos-agent',
    version: '1.0.0',
    tools: {
      effect: tool({
        description: 'Does its side effect once per call (call it exactly-once)',
        input: keyed,
        async handler(args, ctx) {
          const key = String(args['key']);
          sink.started('effect', key);
          await pause(Number(args['workMs'] ?? 0), ctx.signal);
          ctx.signal.throwIfAborted();
          // The recipe of docs/cluster.md, "Effects exactly once": the effect once per call through
          // the dedup store, and the call's message id as the external system's idempotency key.
          await ctx.once('effect', () => sink.effect(key, ctx.messageId));
          return { key, node };
        },
      }),
      touch: tool({
        description: 'Answers with its key (no side effect; call it at-least-once)',
        input: keyed,
        async handler(args, ctx) {
          const key = String(args['key']);
          sink.started('touch', key);
          await pause(Number(args['workMs'] ?? 0), ctx.signal);
          return { key, node };
        },
      }),
      chunks: tool({
        description: 'Streams { i } for i < n, pausing delayMs before each',
        input: {
          type: 'object',
          properties: {
            key: { type: 'string', minLength: 1, maxLength: 200 },
            n: { type: 'integer', minimum: 0, maximum: 10_000 },
            delayMs: { type: 'integer', minimum: 0, maximum: 1000 },
          },
          required: ['key', 'n'],
          additionalProperties: false,
        },
        async *handler(args, ctx) {
          const key = String(args['key']);
          const n = Number(args['n']);
          sink.started('chunks', key);
          for (let i = 0; i < n; i++) {
            await pause(Number(args['delayMs'] ?? 0), ctx.signal);
            yield { i };
          }
          return { key, n, node };
        },
      }),
    },
  });
}

/** The line a drill node prints for each report (stdout to a pipe is synchronous on Linux, so a SIGKILL after it cannot lose it). */
export interface EffectLine {
  chaos: 'start' | 'effect';
  tool: string;
  key: string;
  node: string;
  /** For an effect: its idempotency key. */
  idem?: string;
}

export function printingSink(node: string, write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): EffectSink {
  return {
    started: (t, key) => write(JSON.stringify({ chaos: 'start', tool: t, key, node } satisfies EffectLine)),
    effect: (key, idem) => write(JSON.stringify({ chaos: 'effect', tool: 'effect', key, node, idem } satisfies EffectLine)),
  };
}

export function parseEffectLine(line: string): EffectLine | undefined {
  if (!line.startsWith('{"chaos":')) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  if (!('chaos' in v) || (v.chaos !== 'start' && v.chaos !== 'effect')) return undefined;
  if (!('tool' in v) || typeof v.tool !== 'string' || !('key' in v) || typeof v.key !== 'string') return undefined;
  if (!('node' in v) || typeof v.node !== 'string') return undefined;
  if (v.chaos === 'start') return { chaos: v.chaos, tool: v.tool, key: v.key, node: v.node };
  if (!('idem' in v) || typeof v.idem !== 'string') return undefined;
  return { chaos: v.chaos, tool: v.tool, key: v.key, node: v.node, idem: v.idem };
}
