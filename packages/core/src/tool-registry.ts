import { AgentSocketError } from './errors.js';
import type { ToolInfo } from './messages.js';
import { type CompiledSchema, compileSchema, type InputSchema } from './schema.js';
import { checkToolName, SYSTEM_PREFIX, type ToolDefinition, type ToolHandler } from './tool.js';
import { checkedOutput } from './tool-output.js';

export interface RegisteredTool {
  readonly hidden: boolean;
  readonly info: ToolInfo;
  readonly schema: CompiledSchema;
  readonly handler: ToolHandler<never>;
}

type ChangeListener = (added: ToolInfo[], removed: string[]) => void;
/** An object told of changes through a method (a Peer), so it needs no closure to subscribe. */
export interface ToolAnnouncer {
  announceTools(added: ToolInfo[], removed: string[]): void;
}
/** Told of every change: a listener, an announcer, or a child registry that passes it on. */
type Subscriber = ChangeListener | ToolAnnouncer | ToolRegistry;

/**
 * Tools by name. A registry may have a parent: lookups fall back to it and its changes are
 * passed on (a session's own tools layered over its agent's).
 */
export class ToolRegistry {
  // A server keeps one registry per session, mostly empty with one subscriber (its Peer):
  // the map is made by the first add, and a lone subscriber needs no Set.
  private tools: Map<string, RegisteredTool> | undefined;
  private subscribers: Subscriber | Set<Subscriber> | undefined;
  private readonly parent: ToolRegistry | undefined;

  constructor(parent?: ToolRegistry) {
    this.parent = parent;
    parent?.subscribe(this);
  }

  add<S extends InputSchema>(name: string, definition: ToolDefinition<S>): ToolInfo {
    checkToolName(name);
    return this.register(name, definition, false);
  }

  /** Adds a reserved `asp.*` tool: callable, never listed or announced. */
  addSystem<S extends InputSchema>(name: string, definition: ToolDefinition<S>): void {
    if (!name.startsWith(SYSTEM_PREFIX)) throw new AgentSocketError('INVALID_OPTIONS', `system tools start with "${SYSTEM_PREFIX}"`);
    this.register(name, definition, true);
  }

  private register<S extends InputSchema>(name: string, definition: ToolDefinition<S>, hidden: boolean): ToolInfo {
    this.tools ??= new Map();
    const tools = this.tools;
    if (tools.has(name)) throw new AgentSocketError('DUPLICATE_TOOL', `tool "${name}" is already defined`);
    const schema = compileSchema(definition.input);
    const info: ToolInfo = { name, inputSchema: schema.jsonSchema };
    if (definition.description !== undefined) info.description = definition.description;
    if (definition.title !== undefined) info.title = definition.title;
    if (definition.annotations !== undefined) info.annotations = definition.annotations;
    // The handler is stored with a widened argument type; arguments are validated before it runs.
    let handler: ToolHandler<never> = definition.handler;
    if (definition.output !== undefined) {
      const output = compileSchema(definition.output);
      info.outputSchema = output.jsonSchema;
      handler = checkedOutput(name, handler, output);
    }
    tools.set(name, { info, schema, handler, hidden });
    if (!hidden) this.emit([info], []);
    return info;
  }

  remove(name: string): boolean {
    if (this.tools?.get(name)?.hidden) return false;
    const existed = this.tools?.delete(name) ?? false;
    if (existed) this.emit([], [name]);
    return existed;
  }

  get(name: string): RegisteredTool | undefined {
    return this.tools?.get(name) ?? this.parent?.get(name);
  }

  list(): ToolInfo[] {
    const own = [...(this.tools?.values() ?? [])].filter((t) => !t.hidden).map((t) => t.info);
    if (!this.parent) return own;
    const names = new Set(own.map((t) => t.name));
    return [...this.parent.list().filter((t) => !names.has(t.name)), ...own];
  }

  onChange(listener: ChangeListener | ToolAnnouncer): () => void {
    this.subscribe(listener);
    return () => this.unsubscribe(listener);
  }

  /** A registry of its own over this one (its tools first, then this one's; this one's changes pass through). */
  layer(): ToolRegistry {
    return new ToolRegistry(this);
  }

  dispose(): void {
    this.parent?.unsubscribe(this);
    this.subscribers = undefined;
  }

  private subscribe(subscriber: Subscriber): void {
    const current = this.subscribers;
    if (current === undefined) this.subscribers = subscriber;
    else if (current instanceof Set) current.add(subscriber);
    else this.subscribers = new Set([current, subscriber]);
  }

  private unsubscribe(subscriber: Subscriber): void {
    const current = this.subscribers;
    if (current === subscriber) this.subscribers = undefined;
    else if (current instanceof Set) current.delete(subscriber);
  }

  private emit(added: ToolInfo[], removed: string[]): void {
    const current = this.subscribers;
    if (current === undefined) return;
    for (const s of current instanceof Set ? current : [current]) {
      if (typeof s === 'function') s(added, removed);
      else if (s instanceof ToolRegistry) s.emit(added, removed);
      else s.announceTools(added, removed);
    }
  }
}
