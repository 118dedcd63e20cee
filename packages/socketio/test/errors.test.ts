import { AgentSocketBaseError, AgentSocketError, CloseCode, wireCodeOf } from '@agentsocket/core';
import { describe, expect, it } from 'vitest';
import { closeCodeForReason } from '../src/close-codes.js';
import { HubProtocolError, parseRequest } from '../src/hub-protocol.js';

describe('socketio errors and close codes', () => {
  it('a malformed message from another node is a HubProtocolError: local INVALID_MESSAGE under the one base', () => {
    let thrown: unknown;
    try {
      parseRequest({ type: 'nonsense' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(HubProtocolError);
    expect(thrown).toBeInstanceOf(AgentSocketError);
    expect(thrown).toBeInstanceOf(AgentSocketBaseError);
    expect(thrown).toMatchObject({ name: 'HubProtocolError', code: 'INVALID_MESSAGE' });
    expect(wireCodeOf(thrown)).toBe(503);
  });

  it('maps disconnect reasons to core CloseCode members', () => {
    expect(closeCodeForReason('transport close')).toEqual({ code: CloseCode.ABNORMAL_CLOSURE, local: false });
    expect(closeCodeForReason('ping timeout')).toEqual({ code: CloseCode.HEARTBEAT_TIMEOUT, local: false });
    expect(closeCodeForReason('io client disconnect')).toEqual({ code: CloseCode.NORMAL, local: true });
    expect(closeCodeForReason('something new')).toEqual({ code: 1006, local: false });
  });
});
