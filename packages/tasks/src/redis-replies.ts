/** Readers for the stream replies ioredis hands back untyped from `call`. */

export interface StreamMessage {
  id: string;
  fields: Map<string, string>;
}

function text(value: unknown, what: string): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  throw new TypeError(`unexpected Redis reply for ${what}`);
}

function array(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new TypeError(`unexpected Redis reply for ${what}`);
  return value;
}

/** One [id, [field, value, ...]] entry; a nil body (entry deleted) gives undefined. */
export function streamMessage(value: unknown, what: string): StreamMessage | undefined {
  const [id, body] = array(value, what);
  if (body === null) return undefined;
  const flat = array(body, what);
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(text(flat[i], what), text(flat[i + 1], what));
  return { id: text(id, what), fields };
}

export function streamMessages(value: unknown, what: string): StreamMessage[] {
  const out: StreamMessage[] = [];
  for (const item of array(value, what)) {
    const m = streamMessage(item, what);
    if (m) out.push(m);
  }
  return out;
}

/** XREAD/XREADGROUP: nil or [[key, entries], ...]. */
export function readReply(value: unknown, what: string): Map<string, StreamMessage[]> {
  const out = new Map<string, StreamMessage[]>();
  if (value === null) return out;
  for (const item of array(value, what)) {
    const [key, entries] = array(item, what);
    out.set(text(key, what), streamMessages(entries, what));
  }
  return out;
}

export { text as replyText };
