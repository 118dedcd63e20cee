import { AgentSocketBaseError, ProtocolError } from '@agentsocket/core';
import { describe, expect, it } from 'vitest';
import { TaskError } from './errors.js';

describe('TaskError', () => {
  it('is a ProtocolError under the one base, its code taken from its reason', () => {
    const e = new TaskError('DEADLINE_PASSED', 'too late');
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e).toBeInstanceOf(AgentSocketBaseError);
    expect([e.code, e.reason]).toEqual([408, 'DEADLINE_PASSED']);
  });
});
