import { AgentSocketError, type AgentSocketErrorCode } from '@agentsocket/core';

/** Local errors of the MCP bridge: string codes, never sent on any wire (core's LocalErrorWireCode maps them). */
export type McpBridgeErrorCode = Extract<AgentSocketErrorCode, 'INVALID_OPTIONS' | 'INVALID_SOURCE' | 'MOUNT_CLOSED' | 'TRANSPORT_CLOSED' | 'INVALID_MESSAGE'>;

/** A local error of the MCP bridge; `instanceof AgentSocketError` (and AgentSocketBaseError) catch it too. */
export class McpBridgeError extends AgentSocketError {
  override readonly name: string = 'McpBridgeError';
  declare readonly code: McpBridgeErrorCode;

  constructor(code: McpBridgeErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
