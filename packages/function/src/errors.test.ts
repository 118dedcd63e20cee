import { AgentSocketBaseError, AgentSocketError, wireCodeOf } from '@agentsocket/core';
import { describe, expect, it } from 'vitest';
import { CallbackError } from './callback-client.js';
import { RelayFrameError } from './frames.js';

describe('function errors', () => {
  it('are local AgentSocketErrors under the one base, with their extra fields', () => {
    const refused = new CallbackError(401, 'bad token');
    const frame = new RelayFrameError('frame of 9 MiB', true);
    for (const e of [refused, frame]) {
      expect(e).toBeInstanceOf(AgentSocketError);
      expect(e).toBeInstanceOf(AgentSocketBaseError);
    }
    expect([refused.code, refused.status, wireCodeOf(refused)]).toEqual(['TRANSPORT_CLOSED', 401, 503]);
    expect([frame.code, frame.tooLarge, wireCodeOf(frame)]).toEqual(['INVALID_FRAME', true, 500]);
  });
});
