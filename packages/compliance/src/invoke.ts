import { ErrorCode, ProtocolError } from '@agentsocket/core';
import { describe, expect, it } from 'vitest';
import type { TransportFixture } from './fixture.js';
import { harness } from './harness.js';
import { until } from './util.js';

export function invokeTests(fixture: TransportFixture): void {
  const start = harness(fixture);
  describe('invoke, stream, complete', () => {
    it('streams chunks in order and ends with COMPLETE and metrics when asked', async () => {
      const s = await start();
      const client = await s.client();
      // Over the lean envelope (the default) metrics come only when asked for (protocol.md §6).
      const plain = await client.invoke('count', { n: 2 }).result;
      expect(plain.value).toEqual({ total: 2 });
      const call = client.invoke('count', { n: 5 }, { metrics: true });
      const chunks: unknown[] = [];
      for await (const c of call) chunks.push(c);
      const r = await call.result;
      expect(chunks).toEqual([0, 1, 2, 3, 4]);
      expect(r.value).toEqual({ total: 5 });
      expect(r.metrics.chunks).toBe(5);
      expect(r.metrics.durationMs).toBeGreaterThanOrEqual(0);
      expect(typeof r.metrics.cpuMs).toBe('number');
    });

    it('answers an unknown tool with 404, bad arguments with 422 and a failing handler with its code', async () => {
      const s = await start();
      const client = await s.client();
      await expect(client.invoke('nope').result).rejects.toMatchObject({ code: ErrorCode.TOOL_NOT_FOUND });
      await expect(client.invoke('count', { n: 'many' }).result).rejects.toMatchObject({
        code: ErrorCode.INVALID_ARGUMENTS,
      });
      const failed = await client.invoke('fail', { code: 503 }).result.catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(ProtocolError);
      expect(failed).toMatchObject({ code: 503, message: 'failed on purpose' });
    });

    it('ends a call whose result, chunk or error data cannot be encoded with one terminal ERROR', async () => {
      const s = await start();
      for (const codecs of [['msgpack'], ['json']]) {
        const c = await s.client({ codecs });
        const result = c.invoke('unencodable', { where: 'result' });
        const chunks: unknown[] = [];
        const failed = (async () => {
          for await (const chunk of result) chunks.push(chunk);
        })();
        await expect(failed).rejects.toMatchObject({ code: ErrorCode.HANDLER_ERROR, message: expect.stringContaining('cannot be encoded') });
        expect(chunks).toEqual(['fine']);
        await expect(c.invoke('unencodable', { where: 'chunk' }).result).rejects.toMatchObject({ code: ErrorCode.HANDLER_ERROR });
        await expect(c.invoke('unencodable', { where: 'data' }).result).rejects.toMatchObject({ code: 418, message: expect.stringContaining('teapot') });
        await expect(c.invoke('unencodable', { where: 'result' }, { delivery: 'exactly-once' }).result).rejects.toMatchObject({ code: ErrorCode.HANDLER_ERROR });
        // The session is unharmed and its sequence has no gap: later reliable calls go through.
        expect((await c.invoke('echo', { after: codecs[0] }).result).value).toEqual({ after: codecs[0] });
        expect(c.connected).toBe(true);
      }
    });

    it('keeps many calls in flight at once', async () => {
      const s = await start();
      const client = await s.client();
      const calls = Array.from({ length: 200 }, (_, i) => client.invoke('echo', { i }).result);
      const results = await Promise.all(calls);
      expect(results.map((r) => (r.value as { i: number }).i)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    });

    it('delivers 10,000 streamed messages in order', async () => {
      const s = await start();
      const client = await s.client();
      const call = client.invoke('count', { n: 10_000, every: 500 });
      let expected = 0;
      for await (const c of call) {
        expect(c).toBe(expected);
        expected++;
      }
      expect(expected).toBe(10_000);
      expect((await call.result).value).toEqual({ total: 10_000 });
    });

    it('runs at-most-once calls too', async () => {
      const s = await start();
      const client = await s.client();
      const call = client.invoke('count', { n: 3 }, { delivery: 'at-most-once' });
      const chunks: unknown[] = [];
      for await (const c of call) chunks.push(c);
      expect(chunks).toEqual([0, 1, 2]);
    });
  });

  describe('interrupt', () => {
    it('aborting a call sends INTERRUPT; the handler sees its signal and the call ends with 499', async () => {
      const s = await start();
      const client = await s.client();
      const abort = new AbortController();
      const call = client.invoke('wait', {}, { signal: abort.signal });
      const it1 = call[Symbol.asyncIterator]();
      expect((await it1.next()).value).toBe('started');
      abort.abort();
      const error = await call.result.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProtocolError);
      expect(error).toMatchObject({ code: ErrorCode.INTERRUPTED });
      if (fixture.limits?.handlerSeesInterruptLater) await expect.poll(() => s.probe.interrupted, { timeout: 10_000 }).toBe(1);
      else expect(s.probe.interrupted).toBe(1);
      // The session is still usable afterwards.
      expect((await client.invoke('echo', { after: true }).result).value).toEqual({ after: true });
    });
  });

  describe('TOOL_DEF and full duplex', () => {
    it('pushes a tool added to the agent at runtime to a connected client', async () => {
      const s = await start();
      const client = await s.client();
      const seen = new Promise<string[]>((resolve) => {
        client.on('tools', (tools) => {
          if (tools.some((t) => t.name === 'runtime')) resolve(tools.map((t) => t.name));
        });
      });
      s.handle.server.agent.addTool('runtime', { description: 'added later', handler: () => 'runtime ok' });
      expect(await seen).toContain('runtime');
      expect((await client.invoke('runtime').result).value).toBe('runtime ok');
      s.handle.server.agent.removeTool('runtime');
      await until(() => !client.tools.some((t) => t.name === 'runtime'), 'tool removal');
    });

    it('lets a handler announce a tool mid-session, visible to that session only', async () => {
      const s = await start();
      const a = await s.client();
      const b = await s.client();
      expect((await a.invoke('announce', { name: 'secret_tool' }).result).value).toBe('secret_tool');
      await until(() => a.tools.some((t) => t.name === 'secret_tool'), 'TOOL_DEF');
      expect((await a.invoke('secret_tool').result).value).toBe('secret_tool works');
      expect(b.tools.some((t) => t.name === 'secret_tool')).toBe(false);
      await expect(b.invoke('secret_tool').result).rejects.toMatchObject({ code: ErrorCode.TOOL_NOT_FOUND });
    });

    it('lets the agent invoke a tool on the client mid-stream', async () => {
      const s = await start();
      const client = await s.client({
        tools: { clarify: { handler: (args) => `the ${String((args as { question?: unknown }).question)} one` } },
      });
      const call = client.invoke('ask', { question: 'blue' });
      const chunks: unknown[] = [];
      for await (const c of call) chunks.push(c);
      expect(chunks).toEqual(['thinking', 'heard the blue one']);
      expect((await call.result).value).toEqual({ answer: 'the blue one' });
    });

    it('reports a client without the requested tool back to the agent as 404', async () => {
      const s = await start();
      const client = await s.client();
      await expect(client.invoke('ask', {}).result).rejects.toMatchObject({ code: ErrorCode.TOOL_NOT_FOUND });
    });
  });
}
