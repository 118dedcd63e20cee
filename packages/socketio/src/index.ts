// The client half, safe in browsers and without socket.io installed. The server is in './server'.
export { type SocketIoConnectorInit, socketIoConnector } from './client.js';
export { ABNORMAL_CLOSURE, closeCodeForReason, INTERNAL_ERROR, type ReasonMapping } from './close-codes.js';
export { CLOSE_EVENT, FRAME_EVENT } from './socket-transport.js';
