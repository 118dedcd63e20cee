import { AgentSocketBaseError, AgentSocketError, ProtocolError } from '@agentsocket/core';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import {
  fromCallToolResult,
  McpBridgeError,
  META,
  mcpErrorToAsp,
  planElicitation,
  requestErrorToMcp,
  toCallToolResult,
  toolErrorToAsp,
  toolErrorToMcp,
} from '../src/index.js';

describe('results', () => {
  it('maps agent values to MCP results', () => {
    expect(toCallToolResult('hi')).toEqual({ content: [{ type: 'text', text: 'hi' }] });
    expect(toCallToolResult({ a: 1 })).toEqual({ content: [{ type: 'text', text: '{"a":1}' }], structuredContent: { a: 1 } });
    expect(toCallToolResult([1, 2])).toEqual({ content: [{ type: 'text', text: '[1,2]' }] });
    expect(toCallToolResult(undefined)).toEqual({ content: [] });
    const image = { content: [{ type: 'image', data: 'AAAA', mimeType: 'image/png' }] };
    expect(toCallToolResult(image)).toEqual(image);
  });

  it('maps MCP results to agent values', () => {
    expect(fromCallToolResult({ content: [{ type: 'text', text: 'x' }] }, 'value')).toBe('x');
    expect(fromCallToolResult({ content: [], structuredContent: { a: 1 } }, 'value')).toEqual({ a: 1 });
    expect(fromCallToolResult({ content: [] }, 'value')).toBeNull();
    const two = { content: [{ type: 'text' as const, text: 'a' }, { type: 'text' as const, text: 'b' }] };
    expect(fromCallToolResult(two, 'value')).toBe(two);
    expect(fromCallToolResult(two, 'result')).toBe(two);
  });
});

describe('errors', () => {
  it('ASP → MCP: request errors are JSON-RPC errors, handler errors are isError results', () => {
    expect(requestErrorToMcp(new ProtocolError(404, 'Tool x not found'))).toMatchObject({ code: ErrorCode.InvalidParams, data: { [META.errorCode]: 404 } });
    expect(requestErrorToMcp(new ProtocolError(408, 'slow'))).toMatchObject({ code: ErrorCode.RequestTimeout });
    expect(toolErrorToMcp(new Error('boom'))).toEqual({ content: [{ type: 'text', text: 'boom' }], isError: true, _meta: { [META.errorCode]: 500 } });
    expect(toolErrorToMcp(new ProtocolError(429, 'busy'))._meta).toEqual({ [META.errorCode]: 429 });
    expect(() => toolErrorToMcp(new McpError(ErrorCode.UrlElicitationRequired, 'go'))).toThrow(McpError);
  });

  it('MCP → ASP: JSON-RPC errors', () => {
    const code = (e: unknown) => mcpErrorToAsp(e).code;
    expect(code(new McpError(ErrorCode.InvalidParams, 'MCP error -32602: Tool x not found'))).toBe(404);
    expect(code(new McpError(ErrorCode.InvalidParams, 'bad'))).toBe(422);
    expect(code(new McpError(ErrorCode.MethodNotFound, 'no'))).toBe(404);
    expect(code(new McpError(ErrorCode.RequestTimeout, 'late'))).toBe(408);
    expect(code(new McpError(ErrorCode.ConnectionClosed, 'gone'))).toBe(503);
    expect(code(new McpError(ErrorCode.InternalError, 'oops'))).toBe(500);
    expect(code(new McpError(ErrorCode.InvalidParams, 'x', { [META.errorCode]: 429 }))).toBe(429);
    expect(code(new McpBridgeError('MOUNT_CLOSED', 'closed'))).toBe(503);
    // Core's one table: a local timeout from a nested call is 408, whoever maps it.
    expect(code(new AgentSocketError('TIMEOUT', 'late'))).toBe(408);
    expect(mcpErrorToAsp(new McpError(ErrorCode.InvalidParams, 'MCP error -32602: bad')).message).toBe('bad');
  });

  it('MCP → ASP: isError results, including the SDK McpServer "MCP error <code>: …" form', () => {
    const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }], isError: true });
    expect(toolErrorToAsp(text('MCP error -32602: Tool nope not found'))).toMatchObject({ code: 404, message: 'Tool nope not found' });
    expect(toolErrorToAsp(text('MCP error -32602: Input validation error: a'))).toMatchObject({ code: 422 });
    expect(toolErrorToAsp(text('disk full'))).toMatchObject({ code: 500, message: 'disk full' });
    expect(toolErrorToAsp({ ...text('busy'), _meta: { [META.errorCode]: 429 } })).toMatchObject({ code: 429 });
  });
});

describe('McpBridgeError', () => {
  it('is a local AgentSocketError under the one base, with its own name', () => {
    const e = new McpBridgeError('INVALID_SOURCE', 'no command', { cause: 'why' });
    expect(e).toBeInstanceOf(AgentSocketError);
    expect(e).toBeInstanceOf(AgentSocketBaseError);
    expect([e.name, e.code, e.cause]).toEqual(['McpBridgeError', 'INVALID_SOURCE', 'why']);
    expect(toolErrorToMcp(e)._meta).toEqual({ [META.errorCode]: 503 });
  });
});

describe('elicitation plans', () => {
  it('asks for one string by default and resolves with it', () => {
    const plan = planElicitation('ask', { question: 'Which topic?' });
    expect(plan.params).toMatchObject({ mode: 'form', message: 'Which topic?', requestedSchema: { required: ['answer'] } });
    expect(plan.answer({ action: 'accept', content: { answer: 'MCP' } })).toBe('MCP');
  });

  it('uses the agent’s own form schema and resolves with the object', () => {
    const requestedSchema = { type: 'object' as const, properties: { n: { type: 'number' as const } } };
    const plan = planElicitation('pick', { message: 'How many?', requestedSchema });
    expect(plan.params.requestedSchema).toEqual(requestedSchema);
    expect(plan.answer({ action: 'accept', content: { n: 3 } })).toEqual({ n: 3 });
  });

  it('declined is 403, dismissed is 499', () => {
    const plan = planElicitation('ask', 'Sure?');
    expect(plan.params.message).toBe('Sure?');
    expect(() => plan.answer({ action: 'decline' })).toThrow(expect.objectContaining({ code: 403 }));
    expect(() => plan.answer({ action: 'cancel' })).toThrow(expect.objectContaining({ code: 499 }));
  });
});
