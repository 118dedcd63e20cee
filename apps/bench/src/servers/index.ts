import { startAgentEchoServer } from './agent-echo.js';
import type { BenchServer } from './bench-server.js';
import { startRawEchoServer } from './raw-echo.js';

export type { BenchServer, ByteCounters, ServerCounters } from './bench-server.js';

/** Every server the bench can start, by the name the child process is given. */
export const servers: Record<string, () => Promise<BenchServer>> = {
  agent: startAgentEchoServer,
  raw: startRawEchoServer,
};
