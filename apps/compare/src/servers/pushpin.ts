import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startPushpin } from '@agentsocket/bench-kit/pushpin';
import { type BenchServer, benchAgent, countingServer } from '@agentsocket/bench-kit/servers';
import { encodeInvokeRequest, functionHandler, RelayFrameType, relayCodec } from '@agentsocket/function';
import { serveFunction } from '@agentsocket/function/node';
import { FunctionClient } from '@agentsocket/relay';

export { hasPushpin } from '@agentsocket/bench-kit/pushpin';

/**
 * The baseline for Relay mode: Pushpin (WebSocket-over-HTTP) holds the client's WebSocket and
 * POSTs its messages as events to a backend, which runs each call on the same function (the
 * same bench agent behind the same function handler, called as the relay calls it) and answers
 * with one TEXT event per chunk and one for the result. Pushpin sends a connection's next events
 * only after the previous answer, and holds each answer until it is whole. Bytes are counted on
 * the backend's HTTP sockets (the WebSocket-over-HTTP link); CPU is the backend and the function
 * (Pushpin's own processes are not counted).
 *
 * Client messages are JSON `{"i":<id>,"t":<tool>,"a":<args>}`; answers `{"i":<id>,"c":<chunk>}`
 * per chunk and `{"i":<id>,"r":<result>}` or `{"i":<id>,"e":<message>}` at the end.
 */
export async function pushpinServer(): Promise<BenchServer> {
  const secret = randomBytes(16).toString('hex');
  const fn = await serveFunction(functionHandler(benchAgent(), { secret }));
  const client = new FunctionClient(fn.url, { secret });
  const codec = relayCodec('msgpack');
  const c = await countingServer();
  let n = 0;
  const runCall = async (cid: string, text: string): Promise<string[]> => {
    let message: { i?: unknown; t?: unknown; a?: unknown };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return [JSON.stringify({ e: 'not JSON' })];
    }
    const out: string[] = [];
    const body = encodeInvokeRequest(
      {
        cid,
        id: `pp-${n++}`,
        tool: String(message.t),
        args: message.a ?? {},
        delivery: 'at-least-once',
        deadline: undefined,
        state: undefined,
        principal: undefined,
        ns: undefined,
        agent: undefined,
        traceparent: undefined,
        callback: undefined,
      },
      codec,
    );
    try {
      for await (const frame of client.invoke(body, codec, new AbortController().signal)) {
        if (frame.type === RelayFrameType.CHUNK) out.push(JSON.stringify({ i: message.i, c: frame.data }));
        else if (frame.type === RelayFrameType.RESULT) out.push(JSON.stringify({ i: message.i, r: frame.result }));
        else if (frame.type === RelayFrameType.ERROR) out.push(JSON.stringify({ i: message.i, e: frame.message }));
      }
    } catch (error) {
      out.push(JSON.stringify({ i: message.i, e: error instanceof Error ? error.message : String(error) }));
    }
    return out;
  };
  c.http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    req.on('data', (p: Buffer) => parts.push(p));
    req.on('end', () => {
      void (async () => {
        const events = parseEvents(Buffer.concat(parts));
        const cid = String(req.headers['connection-id'] ?? 'pp');
        const answers: Array<Promise<string[]>> = [];
        let open = false;
        let close = false;
        for (const event of events) {
          if (event.type === 'OPEN') open = true;
          else if (event.type === 'CLOSE') close = true;
          else if (event.type === 'TEXT') answers.push(runCall(cid, event.content.toString('utf8')));
        }
        let reply = open ? 'OPEN\r\n' : '';
        // Every call of the batch runs at once; their events go back in the order they came.
        for (const texts of await Promise.all(answers)) for (const t of texts) reply += `TEXT ${Buffer.byteLength(t).toString(16)}\r\n${t}\r\n`;
        if (close) reply += 'CLOSE\r\n';
        res.writeHead(200, { 'content-type': 'application/websocket-events' });
        res.end(reply);
      })();
    });
  });
  const pushpin = await startPushpin(c.port);
  return {
    url: `ws://127.0.0.1:${pushpin.port}/`,
    counters: c.counters,
    close: async () => {
      await pushpin.stop();
      await c.close();
      await client.close();
      await fn.close();
    },
  };
}

type WsEvent = { type: string; content: Buffer };

/** WebSocket-over-HTTP events: `TYPE[ <hex length>]\r\n[content\r\n]`, back to back. */
function parseEvents(body: Buffer): WsEvent[] {
  const events: WsEvent[] = [];
  let at = 0;
  while (at < body.length) {
    const eol = body.indexOf('\r\n', at);
    if (eol < 0) break;
    const [type = '', hex] = body.subarray(at, eol).toString('latin1').split(' ');
    at = eol + 2;
    if (hex === undefined) {
      events.push({ type, content: Buffer.alloc(0) });
      continue;
    }
    const length = Number.parseInt(hex, 16);
    events.push({ type, content: body.subarray(at, at + length) });
    at += length + 2;
  }
  return events;
}
