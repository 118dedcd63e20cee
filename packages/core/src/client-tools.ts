import { AgentSocketError } from './errors.js';
import type { ToolInfo } from './messages.js';
import { type AnyToolDefinition, checkToolName } from './tool.js';
import type { ToolRegistry } from './tool-registry.js';

/**
 * The tools a client serves to the agent. A name is checked when the tool is added; the registry
 * (and with it schema compilation and output checks) is loaded with the first tool, so a client
 * that serves none never loads it. Tools added while it loads are registered, in order, once it is
 * there; `ready()` is what connect() waits for, so they go in the HELLO.
 */
export class ClientTools {
  #registry: ToolRegistry | undefined;
  #Registry: typeof ToolRegistry | undefined;
  #pending: Array<[string, AnyToolDefinition]> | undefined;
  #loading: Promise<void> | undefined;

  /** `loaded`: the registry is there (the current session starts serving it). */
  readonly #loaded: () => void;
  constructor(loaded: () => void) {
    this.#loaded = loaded;
  }

  /** Adds a tool: at once if the registry is loaded, else once it is (a bad name or a duplicate throws at once either way). */
  add(name: string, definition: AnyToolDefinition): void {
    if (this.#registry) {
      this.#registry.add(name, definition);
      return;
    }
    checkToolName(name);
    if (this.#pending?.some(([n]) => n === name)) throw new AgentSocketError('DUPLICATE_TOOL', `tool "${name}" is already defined`);
    this.#pending ??= [];
    this.#pending.push([name, definition]);
    this.#loading ??= import('./serving.js').then((m) => this.#register(m.ToolRegistry));
    this.#loading.catch(() => {}); // reported by ready(), to connect()
  }

  /** Settles once every tool added so far is registered; rejects with the error of one that could not be (its schema). */
  ready(): Promise<void> | undefined {
    return this.#registry ? undefined : this.#loading;
  }

  /** Tools served, as the agent should see them (none while the registry loads). */
  list(): ToolInfo[] {
    return this.#registry?.list() ?? [];
  }

  /** A registry of one session over these tools (its own tools added by handlers layered on top); undefined while there are none. */
  forSession(): ToolRegistry | undefined {
    return this.#registry && this.#Registry ? new this.#Registry(this.#registry) : undefined;
  }

  /** Registers what waited; a tool that cannot be registered (its schema) is left out, and its error is what ready() rejects with. */
  #register(Registry: typeof ToolRegistry): void {
    const registry = new Registry();
    let failed: unknown;
    for (const [name, definition] of this.#pending ?? []) {
      try {
        registry.add(name, definition);
      } catch (error) {
        failed ??= error;
      }
    }
    this.#pending = undefined;
    this.#Registry = Registry;
    this.#registry = registry;
    this.#loaded();
    if (failed !== undefined) throw failed;
  }
}
