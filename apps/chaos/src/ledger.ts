import type { EffectLine, EffectSink } from './agent.js';

/**
 * What the handlers did, per call key: how often each began, and the side effects it sent, as an
 * external system that honours idempotency keys sees them: applied once per idempotency key,
 * a repeat of a key absorbed.
 */
export class Ledger implements EffectSink {
  private readonly starts = new Map<string, number>();
  /** Effect attempts per call key: the node and idempotency key of each, in order. */
  private readonly attempts = new Map<string, Array<{ node: string; idem: string }>>();

  started(_tool: string, key: string): void {
    this.starts.set(key, (this.starts.get(key) ?? 0) + 1);
  }

  effect(key: string, idempotencyKey: string, node = 'local'): void {
    this.attempts.set(key, [...(this.attempts.get(key) ?? []), { node, idem: idempotencyKey }]);
  }

  /** Takes one line a drill node printed. */
  record(line: EffectLine): void {
    if (line.chaos === 'start') this.started(line.tool, line.key);
    else this.effect(line.key, line.idem ?? '', line.node);
  }

  startsOf(key: string): number {
    return this.starts.get(key) ?? 0;
  }

  /** Effects applied for this call: one per distinct idempotency key. */
  effectsOf(key: string): number {
    return new Set((this.attempts.get(key) ?? []).map((a) => a.idem)).size;
  }

  /** Times the handler ran its effect for this call (repeats of one idempotency key included). */
  attemptsOf(key: string): number {
    return this.attempts.get(key)?.length ?? 0;
  }

  /** The nodes that ran this key's effect, in order. */
  effectNodesOf(key: string): readonly string[] {
    return (this.attempts.get(key) ?? []).map((a) => a.node);
  }
}
