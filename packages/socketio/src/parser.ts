import { Decoder, Encoder } from 'socket.io-parser';

/**
 * Longest text packet accepted: a CONNECT with its `auth` (a token), or the header of a binary
 * event. Anything longer is not ASP, and parsing it as JSON could cost far more than its size.
 */
export const MAX_TEXT_PACKET = 64 * 1024;

/**
 * Socket.IO's own decoder, held to what the ASP mapping needs, so a client no one has
 * authenticated cannot make the server hold much: an `asp` event carries exactly one binary
 * attachment (the stock decoder waits for up to 10, each up to `maxHttpBufferSize`, for as long as
 * the connection lives), and text packets are short. Past either, the decoder throws and
 * Socket.IO closes the connection.
 */
export class AspDecoder extends Decoder {
  constructor() {
    super({ maxAttachments: 1 });
  }

  override add(packet: unknown): void {
    if (typeof packet === 'string' && packet.length > MAX_TEXT_PACKET) {
      throw new Error(`text packet of ${packet.length} characters; at most ${MAX_TEXT_PACKET}`);
    }
    super.add(packet);
  }
}

/** The `parser` option of a Socket.IO server that serves ASP: the stock encoder, AspDecoder. */
export const aspParser = { Encoder, Decoder: AspDecoder };
