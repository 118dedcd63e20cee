import { type Agent, AgentServer, type Connector, memoryConnector } from '@agentsocket/core';

export interface Served {
  connect: Connector;
  /** Where it listens, for the narration. */
  where: string;
  close(): Promise<void>;
}

type Serve = (agent: Agent) => Promise<Served>;

/** Every transport the demo can run the same agent over. */
export const transports: Record<string, Serve> = {
  memory: async (agent) => {
    const server = new AgentServer(agent);
    return { connect: memoryConnector(server), where: 'in-process memory transport', close: async () => server.close() };
  },
};
