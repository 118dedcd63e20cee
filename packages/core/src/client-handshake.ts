import { AgentSocketError, ProtocolError } from './errors.js';
import * as CloseCode from './close-code.js';
import { decodeFrame, encodeFrame } from './frame.js';
import { type ClientHello, decodeServerHello, encodeClientHello, type ServerHello } from './hello.js';
import * as Flag from './flag.js';
import * as FrameType from './frame-type.js';
import type { Transport } from './transport.js';
import { WireShapeError } from './wire.js';

/**
 * A client's side of the handshake on a freshly opened transport: sends `hello` and waits up to
 * `timeoutMs` for the reply, which `replied` takes over synchronously (frames replayed after the
 * reply arrive on the same transport). Rejects with the server's refusal as a ProtocolError,
 * HANDSHAKE_TIMEOUT, or HANDSHAKE_FAILED (the connection closed, or a reply that is not one).
 */
export function handshake<T>(transport: Transport, hello: ClientHello, timeoutMs: number, replied: (reply: ServerHello) => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new AgentSocketError('HANDSHAKE_TIMEOUT', 'no HELLO reply in time'));
      void transport.close(CloseCode.HANDSHAKE_TIMEOUT, 'no HELLO reply');
    }, timeoutMs);
    transport.onclose = (info) => {
      clearTimeout(timer);
      reject(new AgentSocketError('HANDSHAKE_FAILED', `connection closed during handshake (${info.code} ${info.reason})`));
    };
    transport.onframe = (bytes) => {
      clearTimeout(timer);
      transport.onframe = () => {};
      try {
        const frame = decodeFrame(bytes);
        if (frame.type === FrameType.ERROR) {
          reject(handshakeError(frame.payload));
          return;
        }
        if (frame.type !== FrameType.HELLO || !(frame.flags & Flag.REPLY)) {
          throw new AgentSocketError('HANDSHAKE_FAILED', 'expected a HELLO reply');
        }
        resolve(replied(decodeServerHello(frame.payload)));
      } catch (error) {
        // A malformed reply (WireShapeError) is a failed handshake, like any error that is not already the client's own.
        const own = error instanceof AgentSocketError && !(error instanceof WireShapeError);
        reject(own ? error : new AgentSocketError('HANDSHAKE_FAILED', String(error), { cause: error }));
        void transport.close(CloseCode.BAD_FRAME, 'bad HELLO reply');
      }
    };
    transport.start();
    transport.send(encodeFrame(FrameType.HELLO, 0, 0, encodeClientHello(hello)));
  });
}

/** The server's refusal (an ERROR in JSON instead of the reply) as the error connect() rejects with. */
function handshakeError(payload: Uint8Array): Error {
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(payload));
    if (typeof parsed === 'object' && parsed !== null && 'code' in parsed && typeof parsed.code === 'number') {
      const message = 'message' in parsed ? String(parsed.message) : 'handshake refused';
      return new ProtocolError(parsed.code, message);
    }
  } catch {
    // fall through
  }
  return new AgentSocketError('HANDSHAKE_FAILED', 'handshake refused with an unreadable ERROR');
}
