import { AgentSocketError } from './errors.js';
import type { SessionJournal, SessionRecord, SessionStore, StoredSession } from './session-store.js';

interface Entry {
  record: SessionRecord;
  owner: string;
  nextSq: number;
  lastReceived: number;
  frames: Map<number, Uint8Array>;
  incoming: Map<number, Uint8Array>;
  expiry: ReturnType<typeof setTimeout> | undefined;
}

/**
 * A SessionStore in this process's memory: sessions survive the loss of an AgentServer (not of
 * the process). Servers sharing one store behave like cluster nodes sharing Redis, which makes
 * it the reference the Redis store is tested against.
 */
export class MemorySessionStore implements SessionStore {
  private readonly entries = new Map<string, Entry>();

  async create(record: SessionRecord): Promise<void> {
    this.entries.set(record.id, {
      record,
      owner: '',
      nextSq: 1,
      lastReceived: 0,
      frames: new Map(),
      incoming: new Map(),
      expiry: undefined,
    });
  }

  async load(id: string): Promise<StoredSession | undefined> {
    const e = this.entries.get(id);
    if (!e) return undefined;
    return {
      record: e.record,
      nextSq: e.nextSq,
      lastReceived: e.lastReceived,
      frames: [...e.frames].sort(([a], [b]) => a - b).map(([sq, frame]) => ({ sq, frame })),
      incoming: [...e.incoming].map(([rid, frame]) => ({ rid, frame })),
    };
  }

  async claim(id: string, owner: string): Promise<void> {
    const e = this.entries.get(id);
    if (!e) throw new AgentSocketError('SESSION_CLOSED', `session ${id} is not in the store`);
    if (e.expiry) clearTimeout(e.expiry);
    e.expiry = undefined;
    e.owner = owner;
  }

  journal(id: string, owner: string): SessionJournal {
    const entries = this.entries;
    const mine = (): Entry | undefined => {
      const e = entries.get(id);
      return e && e.owner === owner ? e : undefined;
    };
    const sent = (e: Entry, sq: number, frame: Uint8Array): void => {
      e.frames.set(sq, frame);
      e.nextSq = Math.max(e.nextSq, sq + 1);
    };
    return {
      sent: (sq, frame) => {
        const e = mine();
        if (e) sent(e, sq, frame);
      },
      acked: (sq) => {
        const e = mine();
        if (e) for (const k of e.frames.keys()) if (k <= sq) e.frames.delete(k);
      },
      received: (last) => {
        const e = mine();
        if (e) e.lastReceived = Math.max(e.lastReceived, last);
      },
      invokeStarted: (rid, frame) => {
        mine()?.incoming.set(rid, frame);
      },
      invokeEnded: (rid, sq, frame) => {
        const e = mine();
        if (!e) return;
        e.incoming.delete(rid);
        sent(e, sq, frame);
      },
      flush: async () => {
        if (!mine()) throw new AgentSocketError('SESSION_CLOSED', `session ${id} is owned by another process now`);
      },
    };
  }

  async expire(id: string, ttlMs: number, owner: string): Promise<void> {
    const e = this.entries.get(id);
    if (!e || e.owner !== owner) return;
    if (e.expiry) clearTimeout(e.expiry);
    e.expiry = setTimeout(() => this.entries.delete(id), ttlMs);
  }

  async delete(id: string, owner: string): Promise<void> {
    const e = this.entries.get(id);
    if (!e || e.owner !== owner) return;
    if (e.expiry) clearTimeout(e.expiry);
    this.entries.delete(id);
  }
}
