import type { ToolInfo } from './messages.js';
import type { InputSchema } from './schema.js';
import type { AnyToolDefinition, ToolDefinition } from './tool.js';
import { ToolRegistry } from './tool-registry.js';

/** Tools by name, as an agent declares them. */
export type ToolSet = Record<string, AnyToolDefinition>;

export interface AgentDefinition<Tools extends ToolSet = ToolSet> {
  name: string;
  version?: string;
  tools?: Tools;
}

/**
 * One agent program: a name and its tools. The same Agent is served over any transport;
 * tools added or removed at runtime are pushed to every connected peer as TOOL_DEF.
 */
/**
 * Marks an Agent from any copy of this package: an application and a CLI installed with `npx` or
 * globally each load their own copy of @agentsocket/core, so `instanceof` must not compare classes.
 */
const AGENT_BRAND: unique symbol = Symbol.for('@agentsocket/core.Agent');

/**
 * `Tools` is the precise type of the tools given to `defineAgent`, read by a typed client
 * (`AgentClient<typeof agent>`); plain `Agent` means any agent.
 */
export class Agent<Tools extends ToolSet = ToolSet> {
  /** True for an Agent made by any copy of @agentsocket/core (see `isAgent`). */
  static [Symbol.hasInstance](value: unknown): boolean {
    return isAgent(value);
  }

  readonly [AGENT_BRAND] = true;
  readonly name: string;
  readonly version: string | undefined;
  readonly registry = new ToolRegistry();
  /** Type only, never set: carries `Tools` for `AgentClient<typeof agent>`. */
  declare readonly '~tools'?: Tools;

  constructor(definition: AgentDefinition<Tools>) {
    this.name = definition.name;
    this.version = definition.version;
    for (const [name, def] of Object.entries(definition.tools ?? {})) this.registry.add(name, def);
  }

  addTool<S extends InputSchema>(name: string, definition: ToolDefinition<S>): ToolInfo {
    return this.registry.add(name, definition);
  }

  removeTool(name: string): boolean {
    return this.registry.remove(name);
  }

  get tools(): ToolInfo[] {
    return this.registry.list();
  }
}

/** Whether `value` is an Agent, whichever copy of @agentsocket/core made it. */
export function isAgent(value: unknown): value is Agent {
  return typeof value === 'object' && value !== null && (value as { [AGENT_BRAND]?: unknown })[AGENT_BRAND] === true;
}

/** The tools an agent type declares (`ToolSet`, any tool, for a plain `Agent`). */
export type ToolsOf<A> = A extends Agent<infer Tools> ? Tools : ToolSet;

export function defineAgent<const Tools extends ToolSet = ToolSet>(definition: AgentDefinition<Tools>): Agent<Tools> {
  return new Agent(definition);
}
