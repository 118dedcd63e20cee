import { describe, expect, it } from 'vitest';
import { AgentSocketBaseError, AgentSocketError, type AgentSocketErrorCode, CloseCode, ErrorCode, ProtocolError } from './errors.js';
import { LocalErrorWireCode, wireCodeOf } from './wire-code.js';
import { toWireError } from './incoming.js';
import { WireShapeError } from './wire.js';

/** The table in docs/errors.md, written out again: a change to either side fails here. */
const DOCUMENTED: Record<AgentSocketErrorCode, number> = {
  TRANSPORT_CLOSED: 503,
  NOT_CONNECTED: 503,
  CONNECTION_LOST: 503,
  CLIENT_CLOSED: 503,
  SESSION_CLOSED: 503,
  HANDSHAKE_FAILED: 503,
  HANDSHAKE_TIMEOUT: 503,
  INVALID_MESSAGE: 503,
  INVALID_SOURCE: 503,
  MOUNT_CLOSED: 503,
  TIMEOUT: 408,
  ABORTED: 499,
  FRAME_TOO_LARGE: 413,
  TOO_MANY_REQUESTS: 429,
  NO_SUCH_PEER_TOOL: 404,
  ENCODE_FAILED: 500,
  INVALID_FRAME: 500,
  INVALID_OPTIONS: 500,
  DUPLICATE_TOOL: 500,
  ERRORS_SUPPRESSED: 500,
};

describe('one error family', () => {
  it('AgentSocketError and ProtocolError share one base, keep their names, codes and causes', () => {
    const cause = new Error('socket reset');
    const local = new AgentSocketError('CONNECTION_LOST', 'offline', { cause });
    const wire = new ProtocolError(ErrorCode.INVALID_ARGUMENTS, 'bad args', { data: { at: '/' }, cause });
    for (const e of [local, wire]) {
      expect(e).toBeInstanceOf(Error);
      expect(e).toBeInstanceOf(AgentSocketBaseError);
      expect(e.cause).toBe(cause);
    }
    expect(local).not.toBeInstanceOf(ProtocolError);
    expect(wire).not.toBeInstanceOf(AgentSocketError);
    expect([local.name, local.code]).toEqual(['AgentSocketError', 'CONNECTION_LOST']);
    expect([wire.name, wire.code, wire.data]).toEqual(['ProtocolError', 422, { at: '/' }]);
    expect(String(local)).toBe('AgentSocketError: offline');
    expect('cause' in new AgentSocketError('TIMEOUT', 'late')).toBe(false);
  });

  it('WireShapeError is a local INVALID_FRAME error with its own name', () => {
    const e = new WireShapeError('HELLO.v must be an array of strings');
    expect(e).toBeInstanceOf(AgentSocketError);
    expect(e).toBeInstanceOf(AgentSocketBaseError);
    expect([e.name, e.code]).toEqual(['WireShapeError', 'INVALID_FRAME']);
  });
});

describe('LocalErrorWireCode', () => {
  it('maps every local code to the wire code docs/errors.md lists, each one a defined ErrorCode', () => {
    expect(LocalErrorWireCode).toEqual(DOCUMENTED);
    const defined = new Set<number>(Object.values(ErrorCode));
    for (const code of Object.values(LocalErrorWireCode)) expect(defined.has(code)).toBe(true);
  });

  it('gives the conditions both families name the same number', () => {
    expect(LocalErrorWireCode.TIMEOUT).toBe(ErrorCode.TIMEOUT);
    expect(LocalErrorWireCode.FRAME_TOO_LARGE).toBe(ErrorCode.FRAME_TOO_LARGE);
    expect(LocalErrorWireCode.TOO_MANY_REQUESTS).toBe(ErrorCode.TOO_MANY_REQUESTS);
    expect(LocalErrorWireCode.ABORTED).toBe(ErrorCode.INTERRUPTED);
  });

  it('wireCodeOf: a ProtocolError keeps its code, a local error goes through the table, anything else is 500', () => {
    expect(wireCodeOf(new ProtocolError(418, 'teapot'))).toBe(418);
    for (const code of Object.keys(DOCUMENTED) as AgentSocketErrorCode[]) {
      expect(wireCodeOf(new AgentSocketError(code, code))).toBe(DOCUMENTED[code]);
    }
    expect(wireCodeOf(new WireShapeError('x must be a map'))).toBe(500);
    expect(wireCodeOf(new TypeError('boom'))).toBe(500);
    expect(wireCodeOf('a string')).toBe(500);
    // A code from elsewhere (another version of a node in a cluster) that the table does not know.
    const foreign = new AgentSocketError('TIMEOUT', 'x');
    Object.defineProperty(foreign, 'code', { value: 'NOT_A_CODE' });
    expect(wireCodeOf(foreign)).toBe(500);
  });

  it('a handler that throws a local error ends its request with the mapped code', () => {
    expect(toWireError(new AgentSocketError('TIMEOUT', 'the nested call timed out'))).toEqual({ code: 408, message: 'the nested call timed out' });
    expect(toWireError(new AgentSocketError('FRAME_TOO_LARGE', 'too big'))).toEqual({ code: 413, message: 'too big' });
    expect(toWireError(new ProtocolError(422, 'bad', { data: { at: '/x' } }))).toEqual({ code: 422, message: 'bad', data: { at: '/x' } });
    expect(toWireError(new ProtocolError(409, 'taken'))).toEqual({ code: 409, message: 'taken' });
    expect(toWireError(new Error('plain'))).toEqual({ code: 500, message: 'plain' });
    expect(toWireError(42)).toEqual({ code: 500, message: '42' });
  });
});

describe('CloseCode', () => {
  it('holds every close code of protocol.md §20 and the RFC 6455 codes transports report', () => {
    expect(CloseCode).toEqual({
      NORMAL: 1000,
      GOING_AWAY: 1001,
      PROTOCOL_ERROR: 1002,
      ABNORMAL_CLOSURE: 1006,
      INVALID_PAYLOAD: 1007,
      POLICY_VIOLATION: 1008,
      MESSAGE_TOO_BIG: 1009,
      INTERNAL_ERROR: 1011,
      BAD_FRAME: 4400,
      UNAUTHORIZED: 4401,
      FORBIDDEN: 4403,
      HANDSHAKE_TIMEOUT: 4408,
      CONFLICT: 4409,
      SESSION_EXPIRED: 4410,
      FRAME_TOO_LARGE: 4413,
      UNSUPPORTED_CODEC: 4415,
      UNSUPPORTED_VERSION: 4426,
      SLOW_CONSUMER: 4429,
      SERVER_SHUTDOWN: 4503,
      HEARTBEAT_TIMEOUT: 4504,
    });
  });

  it('each 4xxx code is 4000 + the wire error of the same name, where there is one', () => {
    for (const [name, code] of Object.entries(CloseCode)) {
      if (code < 4000 || !(name in ErrorCode)) continue;
      expect(code - 4000).toBe(ErrorCode[name as keyof typeof ErrorCode]);
    }
  });
});
