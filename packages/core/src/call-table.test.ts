import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Call } from './call.js';
import { abortReason, CallTable, PendingCall } from './call-table.js';
import { AgentSocketError, ProtocolError } from './errors.js';

const metrics = { durationMs: 1, chunks: 0 };

function pending(tool = 'echo'): PendingCall {
  return new PendingCall(new Call(tool, 'm1', 'at-least-once'));
}

async function failure(call: Call): Promise<unknown> {
  return call.result.then(
    () => 'resolved',
    (e: unknown) => e,
  );
}

describe('CallTable', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('streams chunks and settles a call once with its result', async () => {
    const table = new CallTable<number>();
    const p = pending();
    table.add(7, p);
    expect(table.chunk(7, 0, 'a')).toBe(true);
    expect(table.chunk(8, 0, 'b')).toBe(false);
    expect(table.complete(7, 42, metrics)).toBe(p);
    expect(table.size).toBe(0);
    expect(table.complete(7, 43, metrics)).toBeUndefined();
    const chunks: unknown[] = [];
    for await (const c of p.call) chunks.push(c);
    expect(chunks).toEqual(['a']);
    expect((await p.call.result).value).toBe(42);
  });

  it('fails a call with the error given, and reports unknown keys', async () => {
    const table = new CallTable<string>();
    const p = pending();
    table.add('x', p);
    expect(table.fail('y', new Error('nope'))).toBeUndefined();
    expect(table.fail('x', new ProtocolError(404, 'gone'))).toBe(p);
    const e = await failure(p.call);
    expect(e).toBeInstanceOf(ProtocolError);
    expect((e as ProtocolError).code).toBe(404);
  });

  it('fails a call with TIMEOUT at its deadline, naming the tool', async () => {
    const table = new CallTable<number>();
    const p = pending('slow');
    table.add(1, p, 100);
    vi.advanceTimersByTime(99);
    expect(p.call.isSettled).toBe(false);
    vi.advanceTimersByTime(1);
    const e = await failure(p.call);
    expect(e).toBeInstanceOf(AgentSocketError);
    expect((e as AgentSocketError).code).toBe('TIMEOUT');
    expect((e as Error).message).toBe('no answer from "slow" within 100 ms');
    expect(table.size).toBe(0);
  });

  it('clears the deadline when the call ends first', async () => {
    const table = new CallTable<number>();
    const p = pending();
    table.add(1, p, 100);
    table.complete(1, 'ok', metrics);
    expect(vi.getTimerCount()).toBe(0);
    expect((await p.call.result).value).toBe('ok');
  });

  it('forwards an abort once as an interrupt, then fails with ABORTED after the grace period', async () => {
    const table = new CallTable<number>();
    const p = pending();
    table.add(3, p);
    const ac = new AbortController();
    const interrupts: string[] = [];
    table.forwardAbort(3, p, ac.signal, { interrupt: (r) => interrupts.push(r), graceMs: 50, unanswered: 'no answer to INTERRUPT' });
    ac.abort(new Error('user gave up'));
    expect(interrupts).toEqual(['user gave up']);
    vi.advanceTimersByTime(49);
    expect(p.call.isSettled).toBe(false);
    vi.advanceTimersByTime(1);
    const e = await failure(p.call);
    expect((e as AgentSocketError).code).toBe('ABORTED');
    expect((e as Error).message).toBe('no answer to INTERRUPT');
  });

  it('interrupts at once for a signal already aborted, and waits for no deadline without a grace period', () => {
    const table = new CallTable<number>();
    const p = pending();
    table.add(3, p);
    const interrupts: string[] = [];
    table.forwardAbort(3, p, AbortSignal.abort('stop'), { interrupt: (r) => interrupts.push(r) });
    expect(interrupts).toEqual(['stop']);
    expect(vi.getTimerCount()).toBe(0);
    expect(table.has(3)).toBe(true);
  });

  it('does not interrupt a call that already ended, and drops its abort listener', () => {
    const table = new CallTable<number>();
    const p = pending();
    table.add(3, p);
    const ac = new AbortController();
    const interrupts: string[] = [];
    table.forwardAbort(3, p, ac.signal, { interrupt: (r) => interrupts.push(r), graceMs: 50 });
    table.complete(3, null, metrics);
    ac.abort();
    expect(interrupts).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('settle() fails the call but leaves a newer entry under the same key alone', async () => {
    const table = new CallTable<number>();
    const old = pending();
    const newer = pending();
    table.add(1, old);
    table.take(() => true);
    table.add(1, newer);
    table.settle(1, old, new Error('late timer'));
    expect(old.call.isSettled).toBe(true);
    expect(table.get(1)).toBe(newer);
    await failure(old.call);
  });

  it('failAll() fails the selected calls; take() removes calls without settling them', async () => {
    const table = new CallTable<number>();
    const [a, b, c] = [pending(), pending(), pending()];
    const calls = [a, b, c];
    for (const [i, p] of calls.entries()) table.add(i, p, 1000);
    const taken = table.take((_e, key) => key === 0);
    expect(taken).toEqual([calls[0]]);
    expect(calls[0]?.call.isSettled).toBe(false);
    table.failAll(new Error('node gone'), (_e, key) => key === 1);
    expect(calls[1]?.call.isSettled).toBe(true);
    expect(calls[2]?.call.isSettled).toBe(false);
    table.failAll(new Error('closed'));
    expect(table.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    await Promise.all([failure(b.call), failure(c.call)]);
  });

  it('abortReason() reads an Error, a string or nothing', () => {
    expect(abortReason(AbortSignal.abort(new Error('why')))).toBe('why');
    expect(abortReason(AbortSignal.abort('because'))).toBe('because');
    expect(abortReason(AbortSignal.abort(42))).toBe('aborted by caller');
    expect(abortReason(undefined)).toBe('aborted by caller');
  });
});
