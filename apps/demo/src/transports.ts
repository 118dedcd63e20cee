import { type Agent, AgentServer, type Connector, memoryConnector } from '@agentsocket/core';
import { wsConnector, wsServer } from '@agentsocket/ws';

export interface Served {
  connect: Connector;
  /** Where it listens, for the narration. */
  where: string;
  close(): Promise<void>;
}

type Serve = (agent: Agent) => Promise<Served>;

/** Every transport the demo can run the same agent over. */
export const transports: Record<string, Serve> = {
  ws: async (agent) => {
    const ws = await wsServer({ agentServer: new AgentServer(agent), port: 0, host: '127.0.0.1' });
    const url = ws.url ?? '';
    return { connect: wsConnector({ url }), where: url, close: () => ws.close() };
  },
  memory: async (agent) => {
    const server = new AgentServer(agent);
    return { connect: memoryConnector(server), where: 'in-process memory transport', close: async () => server.close() };
  },
};
