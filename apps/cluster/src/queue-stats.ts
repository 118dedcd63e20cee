import type { RedisConnection } from '@agentsocket/redis';

/** One tool's queue on Redis Streams (the keys docs/tasks.md lists), summed over its priorities. */
export interface QueueFigures {
  tool: string;
  /** Entries not yet handed to a worker. */
  waiting: number;
  /** Entries a worker holds under a lease (pending in the consumer group). */
  inFlight: number;
  /** Entries ever pushed. */
  added: number;
  /** Entries acked (finished: done, failed for good, or cancelled). */
  done: number;
}

export interface QueueReport {
  queues: QueueFigures[];
  /** Tasks in the dead-letter list. */
  deadLetters: number;
  /** Retries waiting for their backoff. */
  delayed: number;
  at: number;
}

const PRIORITIES = ['high', 'normal', 'low'] as const;

/**
 * Reads the task queue's figures from Redis (tasks prefix, default `asp:tasks:`): tools from the
 * capability hash, per stream XINFO STREAM (length, entries-added) and XINFO GROUPS (pending).
 */
export async function readQueueReport(client: RedisConnection['client'], tasksPrefix: string): Promise<QueueReport> {
  const [tools, dead, delayed] = await Promise.all([
    client.hkeys(`${tasksPrefix}caps`),
    client.zcard(`${tasksPrefix}dead`),
    client.zcard(`${tasksPrefix}delayed`),
  ]);
  const pipe = client.pipeline();
  for (const tool of tools) {
    for (const p of PRIORITIES) {
      const key = `${tasksPrefix}q:${tool}:${p}`;
      pipe.xinfo('STREAM', key);
      pipe.xinfo('GROUPS', key);
    }
  }
  const replies = (await pipe.exec()) ?? [];
  const queues: QueueFigures[] = [...tools].sort().map((tool) => ({ tool, waiting: 0, inFlight: 0, added: 0, done: 0 }));
  const byTool = new Map(queues.map((q) => [q.tool, q]));
  let i = 0;
  for (const tool of tools) {
    const q = byTool.get(tool);
    for (const _ of PRIORITIES) {
      const [streamErr, stream] = replies[i++] ?? [];
      const [groupsErr, groups] = replies[i++] ?? [];
      if (!q || streamErr || groupsErr) continue; // no stream yet: nothing was pushed at this priority
      const s = fields(stream);
      const length = num(s.get('length'));
      const added = num(s.get('entries-added'));
      let pending = 0;
      if (Array.isArray(groups)) for (const g of groups) pending += num(fields(g).get('pending'));
      q.inFlight += pending;
      q.waiting += Math.max(0, length - pending);
      q.added += added;
      q.done += Math.max(0, added - length);
    }
  }
  return { queues, deadLetters: dead, delayed, at: Date.now() };
}

/** XINFO replies are flat [name, value, name, value, …] arrays. */
function fields(reply: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (!Array.isArray(reply)) return out;
  for (let j = 0; j + 1 < reply.length; j += 2) out.set(String(reply[j]), reply[j + 1]);
  return out;
}

function num(v: unknown): number {
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
}
