import { type FetchHandler, functionHandler } from '@agentsocket/function';
import { workerAgent } from './agent.js';

interface Env {
  SECRET: string;
  COLD_START_MS: string;
}

let handler: FetchHandler | undefined;
/** An injected cold start: the first request of an isolate waits this long, as a heavy init would. */
let ready: Promise<void> | undefined;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    ready ??= new Promise<void>((resolve) => setTimeout(resolve, Number(env.COLD_START_MS)));
    await ready;
    handler ??= functionHandler(workerAgent, { secret: env.SECRET });
    return handler(request);
  },
};
