import type { Principal, SessionRecord, ToolInfo } from '@agentsocket/core';
import { msgpackCodec } from '@agentsocket/core/internal';
import { fields, int, isFields, list, optText, text } from './decode.js';

const codec = msgpackCodec();

export function encodeRecord(record: SessionRecord): Uint8Array {
  return codec.encode(record);
}

/** Decodes a stored SessionRecord, checking every field. */
export function decodeRecord(bytes: Uint8Array): SessionRecord {
  const what = 'session record';
  const r = fields(codec.decode(bytes), what);
  const p = fields(r['principal'], `${what}.principal`);
  const claims = p['claims'];
  const principal: Principal = isFields(claims) ? { id: text(p, 'id', 'principal'), claims } : { id: text(p, 'id', 'principal') };
  return {
    id: text(r, 'id', what),
    resumeToken: text(r, 'resumeToken', what),
    principal,
    namespace: text(r, 'namespace', what),
    agentId: text(r, 'agentId', what),
    codec: text(r, 'codec', what),
    peerMaxFrame: int(r, 'peerMaxFrame', what),
    peerMaxInflight: int(r, 'peerMaxInflight', what),
    heartbeatMs: int(r, 'heartbeatMs', what),
    remoteTools: list(r, 'remoteTools', what).map((t, i) => toolInfo(t, `${what}.remoteTools[${i}]`)),
  };
}

function toolInfo(value: unknown, what: string): ToolInfo {
  const r = fields(value, what);
  const info: ToolInfo = { name: text(r, 'name', what) };
  const description = optText(r, 'description', what);
  if (description !== undefined) info.description = description;
  const schema = r['inputSchema'];
  if (isFields(schema)) info.inputSchema = schema;
  return info;
}
