import type { Socket } from 'socket.io';
import { SocketTransport, type SocketTransportOptions, type Wire } from './socket-transport.js';

/** The server end of one Socket.IO socket; socketIoHub finds a session's socket through it. */
export class ServerSocketTransport extends SocketTransport {
  readonly socket: Socket;

  constructor(socket: Socket, wire: Wire, options: SocketTransportOptions) {
    super(wire, options);
    this.socket = socket;
  }
}
