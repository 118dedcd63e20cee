import { AgentClient, type ToolDefinition } from '@agentsocket/core';
import { type CodecName, describeMessage } from './describe.js';
import { connectorFor, type Target } from './connect.js';
import { type Direction, tapConnector } from './tap.js';

export interface SessionOptions extends Target {
  /** Tools this end serves to the agent (server→client invokes). */
  tools?: Record<string, ToolDefinition> | undefined;
  /** Prints every frame, annotated, as one JSON line per frame. */
  onFrame?: ((line: string) => void) | undefined;
  /** Agent id in the namespace (teams). */
  name?: string | undefined;
  /** Gives up connecting after this many attempts. */
  connectAttempts?: number | undefined;
}

/** A connected AgentClient for one command; frames are described as they pass when asked. */
export async function openSession(options: SessionOptions): Promise<AgentClient> {
  let connect = connectorFor(options);
  const onFrame = options.onFrame;
  if (onFrame) {
    // HELLO is JSON; the rest uses the codec the server's HELLO reply names.
    let codec: CodecName = 'msgpack';
    connect = tapConnector(connect, (direction: Direction, frame: Uint8Array) => {
      for (const d of describeMessage(frame, codec)) {
        const p = d.payload;
        if (d.typeName === 'HELLO' && d.flagNames.includes('REPLY') && p && typeof p === 'object' && !Array.isArray(p)) {
          if (p['codec'] === 'json' || p['codec'] === 'msgpack') codec = p['codec'];
        }
        onFrame(JSON.stringify({ dir: direction, ...d }));
      }
    });
  }
  const client = new AgentClient({
    connect,
    reconnect: false,
    connectAttempts: options.connectAttempts ?? 1,
    ...(options.token === undefined ? {} : { token: options.token }),
    ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.tools === undefined ? {} : { tools: options.tools }),
  });
  await client.connect();
  return client;
}
