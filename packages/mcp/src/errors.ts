/** Local errors of the MCP bridge: string codes, never sent on any wire. */
export type McpBridgeErrorCode = 'INVALID_OPTIONS' | 'INVALID_SOURCE' | 'MOUNT_CLOSED' | 'TRANSPORT_CLOSED' | 'INVALID_MESSAGE';

export class McpBridgeError extends Error {
  override readonly name = 'McpBridgeError';
  readonly code: McpBridgeErrorCode;

  constructor(code: McpBridgeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
