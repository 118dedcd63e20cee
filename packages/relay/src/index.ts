export { type CallbackActions, CallbackServer, type CallbackServerOptions } from './callback-server.js';
export { BAD_GATEWAY, FunctionClient, type FunctionClientOptions, type FunctionManifest, GATEWAY_TIMEOUT } from './function-client.js';
export { Relay, type RelayOptions } from './relay.js';
export type { RelayClusterOptions } from './relay-bus.js';
export { checkToken, mintToken, type TokenCheck, type TokenClaims } from './token.js';
