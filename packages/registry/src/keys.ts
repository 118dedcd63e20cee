/**
 * Every key and channel the registry writes, under `<prefix>reg:`. Namespace names cannot contain
 * ':' or a newline (core's isNamespaceName), so the names below split unambiguously.
 */
export class RegistryKeys {
  readonly base: string;

  constructor(prefix: string) {
    this.base = `${prefix}reg:`;
  }

  /** Hash: agent id → AgentRecord JSON, for one namespace. */
  agents(ns: string): string {
    return `${this.base}a:${ns}`;
  }

  /** Set: namespaces that have (or had) agents. */
  namespaces(): string {
    return `${this.base}ns`;
  }

  /** Sorted set: node → time of its last heartbeat (Redis clock, ms). */
  nodes(): string {
    return `${this.base}nodes`;
  }

  /** Set: "ns\nagentId" of every agent a node registered. */
  nodeAgents(node: string): string {
    return `${this.base}n:${node}`;
  }

  /** Hash: node → NodeStats JSON (calls, latency), refreshed each heartbeat. */
  stats(): string {
    return `${this.base}stats`;
  }

  /** Pub/sub channel of every presence and status event. */
  events(): string {
    return `${this.base}ev`;
  }
}
