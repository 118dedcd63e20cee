import type { EffectLine, EffectSink } from './agent.js';

/** What the handlers did, per call key: how often each began and how often its side effect happened. */
export class Ledger implements EffectSink {
  private readonly starts = new Map<string, number>();
  private readonly effects = new Map<string, number>();
  /** Which nodes ran a key (a re-run elsewhere after a kill shows two). */
  private readonly nodes = new Map<string, Set<string>>();

  started(_tool: string, key: string, node?: string): void {
    this.starts.set(key, (this.starts.get(key) ?? 0) + 1);
    if (node !== undefined) {
      const set = this.nodes.get(key) ?? new Set<string>();
      set.add(node);
      this.nodes.set(key, set);
    }
  }

  effect(key: string): void {
    this.effects.set(key, (this.effects.get(key) ?? 0) + 1);
  }

  /** Takes one line a drill node printed. */
  record(line: EffectLine): void {
    if (line.chaos === 'start') this.started(line.tool, line.key, line.node);
    else this.effect(line.key);
  }

  startsOf(key: string): number {
    return this.starts.get(key) ?? 0;
  }

  effectsOf(key: string): number {
    return this.effects.get(key) ?? 0;
  }
}
