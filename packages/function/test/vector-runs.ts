// The `run` vectors of docs/relay-vectors.json (docs/relay.md §10): exchanges with a function that
// show an exactly-once call followed after its request was dropped, and `POST cancel` stopping one.
// The generator records them by playing the steps against the reference function; the test plays
// them again and compares.
import { defineAgent, tool } from '@agentsocket/core';
import {
  CONTENT_TYPES,
  encodeRelayFrame,
  functionHandler,
  type RelayCodecName,
  type RelayFrame,
  RelayFrameReader,
  RelayFrameType,
  relayCodec,
  signRequest,
  toHex,
} from '../src/index.js';
import { toJsonValue } from './vector-values.js';

/** What the `steps` tool of every `run` vector does (copied into each vector as `tool`). */
export const STEPS_TOOL =
  'tool `steps`: writes CHUNK 0 and CHUNK 1, then waits until the `release` step (or until the run is stopped), then writes CHUNK 2, CHUNK 3 and RESULT "stepped"';

/** A frame as a `run` vector lists it: `hex` for frames whose bytes are fixed; terminal frames without their `metrics`, which vary. */
export interface RunFrame {
  type: number;
  payload: unknown;
  hex?: string;
}

export type RunStep =
  | { send: 'invoke' | 'cancel'; request: number; codec: RelayCodecName; bodyHex: string; status: number }
  | { read: number; frames: RunFrame[] }
  | { drop: number }
  | { release: true }
  | { end: number };

const bytes = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (h) => Number.parseInt(h, 16));

export function runFrame(frame: RelayFrame, codecName: RelayCodecName): RunFrame {
  const codec = relayCodec(codecName);
  const raw = encodeRelayFrame(frame, codec);
  const payload = raw.subarray(5);
  if (frame.type === RelayFrameType.RESULT || frame.type === RelayFrameType.ERROR) {
    const decoded = codec.decode(payload) as Record<string, unknown>;
    const { metrics: _metrics, ...rest } = decoded;
    return { type: frame.type, payload: toJsonValue(rest) };
  }
  return { type: frame.type, payload: frame.type === RelayFrameType.CHUNK_BYTES ? { $bin: toHex(payload) } : toJsonValue(codec.decode(payload)), hex: toHex(raw) };
}

/** A reference function serving the `steps` tool, and counters of how often its handler began and ended. */
export function stepsFunction() {
  const runs = { begun: 0, ended: 0 };
  let gate: (() => void) | undefined;
  let released = false;
  const agent = defineAgent({
    name: 'vectors',
    tools: {
      steps: tool({
        async *handler(_args, ctx) {
          runs.begun++;
          yield 0;
          yield 1;
          await new Promise<void>((resolve) => {
            if (released || ctx.signal.aborted) return resolve();
            gate = resolve;
            ctx.signal.addEventListener('abort', () => resolve(), { once: true });
          });
          if (ctx.signal.aborted) throw ctx.signal.reason;
          yield 2;
          yield 3;
          runs.ended++;
          return 'stepped';
        },
      }),
    },
  });
  const secret = 'fn-secret';
  const handler = functionHandler(agent, { secret, keepAliveMs: 60_000 });
  return {
    runs,
    release: () => {
      released = true;
      gate?.();
    },
    async send(endpoint: 'invoke' | 'cancel', codecName: RelayCodecName, body: Uint8Array): Promise<Response> {
      const headers = await signRequest(secret, 'POST', endpoint, body);
      return handler(
        new Request(`http://fn.example/${endpoint}`, { method: 'POST', body, headers: { ...headers, 'content-type': CONTENT_TYPES[codecName] } }),
      );
    },
  };
}

/** An answer being read frame by frame (KEEPALIVE skipped: it may come at any time and is not part of a run). */
class Answer {
  private readonly reader: RelayFrameReader;
  private readonly body: ReadableStreamDefaultReader<Uint8Array> | undefined;
  private queued: RelayFrame[] = [];
  constructor(
    readonly response: Response,
    codecName: RelayCodecName,
  ) {
    this.reader = new RelayFrameReader(relayCodec(codecName));
    this.body = response.body?.getReader();
  }
  /** The next frame, or undefined at the end of the body. */
  async next(): Promise<RelayFrame | undefined> {
    for (;;) {
      const frame = this.queued.shift();
      if (frame) {
        if (frame.type === RelayFrameType.KEEPALIVE) continue;
        return frame;
      }
      if (this.reader.ended || !this.body) return undefined;
      const { value, done } = await this.body.read();
      if (done) return undefined;
      this.queued.push(...this.reader.push(value));
    }
  }
  drop(): Promise<void> {
    return this.body?.cancel() ?? Promise.resolve();
  }
}

/**
 * Plays `steps` against a fresh `stepsFunction()`. For `read` steps, reads as many frames as the
 * step lists (or, when `expected` is absent, up to the terminal frame) and returns what it read, so
 * the generator records and the test compares. Returns the steps as played and the handler's counts.
 */
export async function playRun(
  steps: RunStep[],
): Promise<{ steps: RunStep[]; runs: { begun: number; ended: number } }> {
  const fn = stepsFunction();
  const answers: Answer[] = [];
  const out: RunStep[] = [];
  for (const step of steps) {
    if ('send' in step) {
      const response = await fn.send(step.send, step.codec, bytes(step.bodyHex));
      answers[step.request] = new Answer(response, step.codec);
      out.push({ ...step, status: response.status });
    } else if ('read' in step) {
      const answer = answers[step.read];
      if (!answer) throw new Error(`no request ${step.read}`);
      const codecName = codecOf(steps, step.read);
      const got: RunFrame[] = [];
      for (let i = 0; step.frames.length === 0 || i < step.frames.length; i++) {
        const frame = await answer.next();
        if (!frame) break;
        got.push(runFrame(frame, codecName));
        if (step.frames.length === 0 && (frame.type === RelayFrameType.RESULT || frame.type === RelayFrameType.ERROR)) break;
      }
      out.push({ read: step.read, frames: got });
    } else if ('drop' in step) {
      await answers[step.drop]?.drop();
      out.push(step);
    } else if ('release' in step) {
      // Let the dropped request reach the function before the handler goes on.
      await new Promise((resolve) => setTimeout(resolve, 20));
      fn.release();
      out.push(step);
    } else {
      const rest = await answers[step.end]?.next();
      if (rest !== undefined) throw new Error(`request ${step.end}: a frame after the terminal one`);
      out.push(step);
    }
  }
  return { steps: out, runs: { ...fn.runs } };
}

function codecOf(steps: RunStep[], request: number): RelayCodecName {
  for (const s of steps) if ('send' in s && s.request === request) return s.codec;
  throw new Error(`no request ${request}`);
}
