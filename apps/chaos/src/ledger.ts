import type { EffectLine, EffectSink } from './agent.js';

/** What the handlers did, per call key: how often each began and how often its side effect happened. */
export class Ledger implements EffectSink {
  private readonly starts = new Map<string, number>();
  private readonly effects = new Map<string, number>();
  /** Where each side effect happened, in order (a re-run on another node after a kill shows two). */
  private readonly effectNodes = new Map<string, string[]>();

  started(_tool: string, key: string): void {
    this.starts.set(key, (this.starts.get(key) ?? 0) + 1);
  }

  effect(key: string, node = 'local'): void {
    this.effects.set(key, (this.effects.get(key) ?? 0) + 1);
    this.effectNodes.set(key, [...(this.effectNodes.get(key) ?? []), node]);
  }

  /** Takes one line a drill node printed. */
  record(line: EffectLine): void {
    if (line.chaos === 'start') this.started(line.tool, line.key);
    else this.effect(line.key, line.node);
  }

  /** The nodes that did this key's side effect, in order. */
  effectNodesOf(key: string): readonly string[] {
    return this.effectNodes.get(key) ?? [];
  }

  startsOf(key: string): number {
    return this.starts.get(key) ?? 0;
  }

  effectsOf(key: string): number {
    return this.effects.get(key) ?? 0;
  }
}
