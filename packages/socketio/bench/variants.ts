import { aspSession, entryOf, remote, type Variant } from '@agentsocket/bench-kit';
import { socketIoConnector } from '../src/index.js';

/** This bench's child entry (server.ts): its own servers and the kit's. */
export const SERVER = entryOf(import.meta.url, './server');

/** Ours: AgentClient over @agentsocket/socketio, every default, against the server in server.ts. */
export const aspSocketIoVariant: Variant = {
  id: 'socketio',
  label: 'Agent Socket, Socket.IO',
  short: 'ASP Socket.IO',
  role: 'ours',
  server: 'a child process of its own',
  bytesAt: 'server TCP sockets (bytesRead + bytesWritten)',
  cannot: {},
  start: remote(SERVER, 'asp-sio', (url) => {
    const u = new URL(url);
    return aspSession(socketIoConnector({ url: u.origin, namespace: u.pathname }));
  }),
};
