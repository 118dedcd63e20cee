export { type WsClientInit, wsConnector } from './client.js';
export { SocketTransport, type SocketTransportOptions } from './socket-transport.js';
export { type WsServer, type WsServerEvents, type WsServerInit, wsServer } from './server.js';
export { selectSubprotocol } from './upgrade.js';
