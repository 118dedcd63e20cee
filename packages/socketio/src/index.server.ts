// The server half: needs the `socket.io` peer dependency (and Node).
export { ABNORMAL_CLOSURE, closeCodeForReason, INTERNAL_ERROR, type ReasonMapping } from './close-codes.js';
export { agentRoom, MEMBERS_ROOM, RESERVED_ROOM_PREFIX, SocketIoHub, type SocketIoHubOptions, socketIoHub } from './hub.js';
export { AspDecoder, aspParser, MAX_TEXT_PACKET } from './parser.js';
export { ServerSocketTransport } from './server-socket.js';
export {
  type AcceptingServer,
  type NamespaceName,
  type SocketIoServer,
  type SocketIoServerInit,
  socketIoServer,
} from './server.js';
export { CLOSE_EVENT, FRAME_EVENT } from './socket-transport.js';
