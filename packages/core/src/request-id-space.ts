/**
 * Request ids, one constant each (`import * as RequestIdSpace`, inlined by a bundler; opcodes.ts's
 * public `RequestIdSpace` object has the same names): 0 addresses the connection; the client
 * allocates 0x0001–0x7fff, the server 0x8000–0xffff. No imports here: a bundler inlines only
 * constants of a module that has none. Its own module also keeps the incoming calls a client
 * loads on demand from sharing opcodes.ts with what loads first.
 */
export const CONNECTION = 0;
export const CLIENT_MIN = 0x0001;
export const CLIENT_MAX = 0x7fff;
export const SERVER_MIN = 0x8000;
export const SERVER_MAX = 0xffff;

/** True when request id `id` is in the half `side` hands out (0 is in neither). */
export function ownsRequestId(side: 'client' | 'server', id: number): boolean {
  return side === 'client' ? id >= CLIENT_MIN && id <= CLIENT_MAX : id >= SERVER_MIN && id <= SERVER_MAX;
}
