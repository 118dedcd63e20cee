/**
 * Bits of Session.flags, one constant each (`import * as State`, inlined by a bundler); a subclass
 * takes the bits from SUBCLASS up. No imports here: a bundler inlines only constants of a module
 * that has none.
 */
export const CLOSED = 1;
export const PIGGYBACK = 2;
export const PIGGYBACK_OUT = 4;
export const LEAN = 8;
export const SUBCLASS = 16;
