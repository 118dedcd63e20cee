import { describe, expect, it, vi } from 'vitest';
import { Call, type InvokeOptions } from './call.js';
import { MemoryDedupStore } from './dedup.js';
import { ErrorCode, ProtocolError } from './errors.js';
import { type IncomingCall, IncomingCalls, type IncomingHost, type Route } from './incoming-calls.js';
import { type CallMetrics, parseMessage } from './messages.js';
import { completePayload } from './output-payloads.js';
import { errorPayload } from './payloads.js';
import { FrameType } from './opcodes.js';
import { ToolRegistry } from './tool-registry.js';
import type { ToolDefinition } from './tool.js';

interface Sent {
  type: string;
  rid: number;
  payload: Record<string, unknown>;
  reliable: boolean;
}

/** A session end that records every frame the incoming calls send, with a real registry and dedup store. */
class RecordingHost implements IncomingHost {
  readonly side = 'server' as const;
  readonly sessionId = 's1';
  readonly principal = { id: 'alice' };
  readonly registry = new ToolRegistry();
  readonly journal = undefined;
  readonly dedup = new MemoryDedupStore();
  dedupStore(): MemoryDedupStore {
    return this.dedup;
  }
  readonly dedupTtlMs = 60_000;
  readonly sent: Sent[] = [];
  readonly errors: Error[] = [];
  route: Route | undefined;

  constructor(readonly maxInflight = 8) {}

  dedupScope(): string {
    return 'agent:alice';
  }
  defineTool(name: string, definition: ToolDefinition): void {
    this.registry.add(name, definition);
  }
  router(): Route | undefined {
    return this.route;
  }
  /** What the session does with each: the same payload builders, recorded instead of sent. */
  refuse(rid: number, reliable: boolean, code: number, message: string): void {
    this.sent.push({ type: 'ERROR', rid, payload: errorPayload(code, message), reliable });
  }
  async sendChunk(call: IncomingCall, seq: number, data: unknown): Promise<void> {
    this.sent.push({ type: 'STREAM', rid: call.rid, payload: { seq, data }, reliable: call.reliable });
  }
  sendComplete(rid: number, reliable: boolean, result: unknown, metrics: CallMetrics | undefined): void {
    this.sent.push({ type: 'COMPLETE', rid, payload: completePayload(result, metrics), reliable });
  }
  sendError(rid: number, reliable: boolean, code: number, message: string, data?: unknown): void {
    this.sent.push({ type: 'ERROR', rid, payload: errorPayload(code, message, data), reliable });
  }
  reportError(error: Error): void {
    this.errors.push(error);
  }
  invoke<T>(tool: string): Call<T> {
    return new Call<T>(tool, 'x', 'at-least-once');
  }
  /** Frames sent for one request. */
  of(rid: number): Sent[] {
    return this.sent.filter((s) => s.rid === rid);
  }
}

/** An INVOKE as it arrives: the wire payload, parsed as the session parses it. */
function invoke(tool: string, args: unknown, extra: Record<string, unknown> = {}) {
  const m = parseMessage(FrameType.INVOKE, { id: 'm1', tool, args, ...extra });
  if (m.type !== FrameType.INVOKE) throw new Error('not an INVOKE');
  return m;
}

const bytes = new Uint8Array(0);
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));
const echoInput = { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } as const;

describe('IncomingCalls', () => {
  it('runs a synchronous handler to one COMPLETE before invoke() returns', () => {
    const host = new RecordingHost();
    host.registry.add('echo', { handler: (a) => (a as { text: string }).text });
    const calls = new IncomingCalls(host);
    calls.invoke(1, invoke('echo', { text: 'hi' }), true, bytes);
    expect(host.of(1)).toMatchObject([{ type: 'COMPLETE', payload: { result: 'hi' }, reliable: true }]);
    expect(calls.size).toBe(0);
  });

  it('streams chunks then one COMPLETE for an async generator', async () => {
    const host = new RecordingHost();
    host.registry.add('count', {
      handler: async function* () {
        yield 1;
        yield 2;
        return 'done';
      },
    });
    const calls = new IncomingCalls(host);
    calls.invoke(3, invoke('count', {}), true, bytes);
    await settle();
    expect(host.of(3).map((s) => s.type)).toEqual(['STREAM', 'STREAM', 'COMPLETE']);
    expect(host.of(3)[2]?.payload).toMatchObject({ result: 'done', metrics: { chunks: 2 } });
  });

  it.each([
    ['a request id of its own half', 0x8001, {}, true, ErrorCode.BAD_FRAME, "request id 32769 is not in the caller's half of the id space"],
    ['request id 0', 0, {}, true, ErrorCode.BAD_FRAME, "request id 0 is not in the caller's half of the id space"],
    ['an at-most-once INVOKE flagged RELIABLE', 5, { dl: 0 }, true, ErrorCode.BAD_FRAME, 'INVOKE must be flagged RELIABLE exactly when its delivery is at-least-once or exactly-once'],
    ['an at-least-once INVOKE not flagged RELIABLE', 5, {}, false, ErrorCode.BAD_FRAME, 'INVOKE must be flagged RELIABLE exactly when its delivery is at-least-once or exactly-once'],
    ['a call to another agent where nothing routes', 5, { to: 'bob' }, true, ErrorCode.AGENT_NOT_FOUND, 'this peer does not route calls to other agents'],
  ])('refuses %s', (_name, rid, extra, reliable, code, message) => {
    const host = new RecordingHost();
    host.registry.add('echo', { handler: (a) => a });
    new IncomingCalls(host).invoke(rid, invoke('echo', {}, extra), reliable, bytes);
    expect(host.sent).toEqual([{ type: 'ERROR', rid, payload: { code, message }, reliable }]);
  });

  it('refuses an unknown tool with 404, naming a close match', () => {
    const host = new RecordingHost();
    host.registry.add('echo', { handler: (a) => a });
    new IncomingCalls(host).invoke(1, invoke('ecko', {}), true, bytes);
    expect(host.sent[0]).toMatchObject({ type: 'ERROR', payload: { code: ErrorCode.TOOL_NOT_FOUND } });
    expect(String(host.sent[0]?.payload['message'])).toContain('echo');
  });

  it('refuses arguments that fail the schema with 422', async () => {
    const host = new RecordingHost();
    host.registry.add('echo', { input: echoInput, handler: (a: { text: string }) => a.text });
    new IncomingCalls(host).invoke(1, invoke('echo', { text: 3 }), true, bytes);
    await vi.waitFor(() => expect(host.sent).toHaveLength(1), { timeout: 10_000 });
    expect(host.sent[0]).toMatchObject({ type: 'ERROR', payload: { code: ErrorCode.INVALID_ARGUMENTS } });
    expect(String(host.sent[0]?.payload['message'])).toMatch(/^invalid arguments for "echo": /);
  });

  it('bounds the calls in flight (429) and refuses a request id already running', async () => {
    const host = new RecordingHost(2);
    host.registry.add('wait', { handler: (_a, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve('stopped'))) });
    const calls = new IncomingCalls(host);
    calls.invoke(1, invoke('wait', {}), true, bytes);
    calls.invoke(1, invoke('wait', {}), true, bytes);
    calls.invoke(3, invoke('wait', {}), true, bytes);
    calls.invoke(5, invoke('wait', {}), true, bytes);
    expect(host.sent).toEqual([
      { type: 'ERROR', rid: 1, payload: { code: ErrorCode.BAD_FRAME, message: 'request id 1 is already in use' }, reliable: true },
      { type: 'ERROR', rid: 5, payload: { code: ErrorCode.TOO_MANY_REQUESTS, message: 'at most 2 requests may be in flight' }, reliable: true },
    ]);
    expect(calls.ids()).toEqual([1, 3]);
    calls.interruptAll(new ProtocolError(ErrorCode.INTERRUPTED, 'closing'));
    await settle();
    expect(calls.size).toBe(0);
    expect(host.of(3)).toMatchObject([{ type: 'ERROR', payload: { code: ErrorCode.INTERRUPTED, message: 'closing' } }]);
  });

  it('interrupts one call with the reason given; on a lost connection only the unreliable ones', async () => {
    const host = new RecordingHost();
    host.registry.add('wait', { handler: (_a, ctx) => new Promise((_r, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))) });
    const calls = new IncomingCalls(host);
    calls.invoke(1, invoke('wait', {}), true, bytes);
    calls.invoke(3, invoke('wait', {}, { dl: 0 }), false, bytes);
    calls.invoke(5, invoke('wait', {}), true, bytes);
    calls.interruptAll(new ProtocolError(ErrorCode.INTERRUPTED, 'connection lost'), true);
    calls.interrupt(5, new ProtocolError(ErrorCode.INTERRUPTED, 'caller gave up'));
    await settle();
    expect(calls.ids()).toEqual([1]);
    expect(host.of(3)).toMatchObject([{ type: 'ERROR', payload: { message: 'connection lost' }, reliable: false }]);
    expect(host.of(5)).toMatchObject([{ type: 'ERROR', payload: { message: 'caller gave up' } }]);
  });

  it('runs an exactly-once message once and replays its outcome, chunks included, to a repeat', async () => {
    const host = new RecordingHost();
    let runs = 0;
    host.registry.add('pay', {
      handler: async function* () {
        runs++;
        yield 'receipt';
        return { paid: runs };
      },
    });
    const calls = new IncomingCalls(host);
    calls.invoke(1, invoke('pay', {}, { dl: 2 }), true, bytes);
    await settle();
    calls.invoke(3, invoke('pay', {}, { dl: 2 }), true, bytes);
    await settle();
    expect(runs).toBe(1);
    const strip = (s: Sent[]) => s.map(({ type, payload }) => ({ type, data: payload['data'], result: payload['result'] }));
    expect(strip(host.of(3))).toEqual(strip(host.of(1)));
    expect(host.of(3).at(-1)?.payload['result']).toEqual({ paid: 1 });
  });

  it('routes a call addressed to another agent and streams its answer back, keeping the trace', async () => {
    const host = new RecordingHost();
    const routed: Array<{ to: string; tool: string; options: InvokeOptions }> = [];
    host.route = (to, tool, _args, options) => {
      routed.push({ to, tool, options });
      const call = new Call(tool, 'r1', 'at-least-once');
      setTimeout(() => {
        call.pushChunk(0, 'part');
        call.complete('whole', { durationMs: 1, chunks: 1 });
      }, 1);
      return call;
    };
    new IncomingCalls(host).invoke(1, invoke('anything', { a: 1 }, { to: 'bob', dl: 2, tp: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }), true, bytes);
    // The routed answer comes on a timer; wait for it rather than for a fixed time (a loaded machine).
    await vi.waitFor(() => expect(host.of(1).map((s) => s.type)).toEqual(['STREAM', 'COMPLETE']), { timeout: 5_000 });
    expect(routed).toMatchObject([{ to: 'bob', tool: 'anything', options: { delivery: 'at-least-once', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } }]);
    expect(host.of(1)[1]?.payload['result']).toBe('whole');
  });

  it('ends the request with 503 and reports it when the dedup store fails', async () => {
    const host = new RecordingHost();
    host.dedup.claim = () => Promise.reject(new Error('store down'));
    host.registry.add('pay', { handler: () => 'paid' });
    new IncomingCalls(host).invoke(1, invoke('pay', {}, { dl: 2 }), true, bytes);
    await settle();
    expect(host.sent).toMatchObject([{ type: 'ERROR', payload: { code: ErrorCode.UNAVAILABLE, message: 'request failed: store down' } }]);
    expect(host.errors.map((e) => e.message)).toEqual(['store down']);
  });
});
