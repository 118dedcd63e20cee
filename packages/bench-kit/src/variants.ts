import { wsConnector } from '@agentsocket/ws';
import { aspSession } from './clients/asp.js';
import { msgpackRpcSession } from './clients/msgpack-rpc.js';
import { plainSocketIoSession } from './clients/plain-socketio.js';
import { rawWsSession } from './clients/raw-ws.js';
import type { CallProfile } from './profiles.js';
import { KIT_CHILD, remote } from './remote.js';
import type { Variant } from './variant.js';
import { invokeFrameBytes } from './workload.js';

const CHILD = 'a child process of its own';
const AT_SOCKET = 'server TCP sockets (bytesRead + bytesWritten)';
const NO_TOOLS = 'a bare echo or RPC has no streams and no questions';

const frameSizes = new Map<CallProfile, number>();
/** Our INVOKE frame's size for a profile, computed once: what the raw echo sends. */
function frameSize(profile: CallProfile): number {
  let size = frameSizes.get(profile);
  if (size === undefined) {
    size = invokeFrameBytes(profile);
    frameSizes.set(profile, size);
  }
  return size;
}

/** Ours over binary WebSocket: AgentClient → @agentsocket/ws → AgentServer, every default. */
export const wsVariant: Variant = {
  id: 'ws',
  label: 'Agent Socket, binary WebSocket',
  short: 'ASP WebSocket',
  role: 'ours',
  server: CHILD,
  bytesAt: AT_SOCKET,
  cannot: {},
  start: remote(KIT_CHILD, 'agent-ws', (url) => aspSession(wsConnector({ url }))),
};

/** The floor: a bare `ws` echo of messages the size of our INVOKE frame for the profile. */
export const rawWsVariant: Variant = {
  id: 'raw-ws',
  label: 'raw ws echo (same bytes)',
  short: 'raw ws echo',
  role: 'reference',
  server: CHILD,
  bytesAt: AT_SOCKET,
  cannot: { stream: NO_TOOLS, ask: NO_TOOLS },
  start: remote(KIT_CHILD, 'raw-ws', (url) => rawWsSession(url, frameSize)),
};

/** The hand-written reference: ws + msgpackr request/response, the same object as ours. */
export const msgpackRpcVariant: Variant = {
  id: 'msgpack-rpc',
  label: 'hand-written ws + msgpackr RPC (same object)',
  short: 'ws + msgpackr RPC',
  role: 'reference',
  server: CHILD,
  bytesAt: AT_SOCKET,
  cannot: { stream: NO_TOOLS, ask: NO_TOOLS },
  start: remote(KIT_CHILD, 'msgpack-rpc', msgpackRpcSession),
};

/** Plain Socket.IO emitWithAck with the same object (JSON), WebSocket only. */
export const plainSocketIoVariant: Variant = {
  id: 'plain-socketio',
  label: 'plain Socket.IO (emitWithAck, same object)',
  short: 'plain Socket.IO',
  role: 'reference',
  server: CHILD,
  bytesAt: AT_SOCKET,
  cannot: {},
  start: remote(KIT_CHILD, 'plain-socketio', plainSocketIoSession),
};
