/**
 * Header flag bits (byte 1), one constant each (`import * as Flag`, inlined by a bundler; opcodes.ts's
 * public `Flag` object has the same names). No imports here: a bundler inlines only constants of a
 * module that has none.
 */
/** HELLO: this is the server's reply. */
export const REPLY = 0x01;
/** The payload carries a session sequence number `sq` and is replayed until acknowledged. */
export const RELIABLE = 0x02;
