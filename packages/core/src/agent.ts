import type { ToolInfo } from './messages.js';
import type { InputSchema } from './schema.js';
import { type ToolDefinition, ToolRegistry } from './tool.js';

export interface AgentDefinition {
  name: string;
  version?: string;
  tools?: Record<string, ToolDefinition>;
}

/**
 * One agent program: a name and its tools. The same Agent is served over any transport;
 * tools added or removed at runtime are pushed to every connected peer as TOOL_DEF.
 */
export class Agent {
  readonly name: string;
  readonly version: string | undefined;
  readonly registry = new ToolRegistry();

  constructor(definition: AgentDefinition) {
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

export function defineAgent(definition: AgentDefinition): Agent {
  return new Agent(definition);
}
