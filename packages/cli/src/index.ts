export { callTool, type CallOptions, decodeHex, type Io, listTools } from './commands.js';
export { explain, run, USAGE, UsageError } from './run.js';
export { connectorFor, type Target, type TransportName, transportOf } from './connect.js';
export { type CodecName, describeMessage, fromHex, toHex } from './describe.js';
export { openSession, type SessionOptions } from './session.js';
export { type Direction, tapConnector, tapTransport } from './tap.js';
