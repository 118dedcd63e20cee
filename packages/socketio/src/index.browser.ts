// Browsers get the client half only: the server needs node:http.
export { type SocketIoConnectorInit, socketIoConnector } from './client.js';
export { ABNORMAL_CLOSURE, closeCodeForReason, INTERNAL_ERROR, type ReasonMapping } from './close-codes.js';
export { CLOSE_EVENT, FRAME_EVENT } from './socket-transport.js';
