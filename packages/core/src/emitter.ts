/** A minimal typed event emitter that works the same in Node and browsers. */
export class Emitter<Events extends Record<string, unknown[]>> {
  readonly #listeners: { [K in keyof Events]?: Set<(...args: Events[K]) => void> } = {};

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): () => void {
    const set = this.#listeners[event] ?? new Set<(...args: Events[K]) => void>();
    this.#listeners[event] = set;
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    const set = this.#listeners[event];
    if (!set) return;
    for (const listener of set) listener(...args);
  }
}
