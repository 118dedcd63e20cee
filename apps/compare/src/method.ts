import { STREAM_PROFILE } from '@agentsocket/bench-kit';
import { LATENCY_ROUND_FACTOR } from './scenarios.js';
import type { Settings } from './settings.js';
import { MCP_MEMORY_SESSIONS } from './variants.js';

/** How the figures were made, for the report (one sentence each). */
export function methodNotes(s: Settings): string[] {
  return [
    'One agent program (the bench kit\'s benchAgent: echo with a schema, call without one, stream, ask) served unchanged over every Agent Socket transport; the references implement the same calls natively. The round trips and the stream are the bench kit\'s scenarios, the same code `pnpm bench` runs.',
    'Every network server runs in a child process of its own (Node IPC for control only), the clients in the parent: on 2 cores, client and server each get one. The in-memory floor runs in the parent; stdio servers are spawned per connection by the MCP SDK client, as hosts do.',
    `First every variant runs the whole workload unmeasured for ${s.warmupPhaseMs} ms, so the JIT has settled in both processes. Then the scenarios run one after another; within each, variants interleave round by round (A1 B1 C1 … A2 B2 C2 …) after ${s.warmups} warm-up pass of ${s.warmupMs} ms, and between runs the client process collects garbage and waits 20 ms for the collector's background work. Each figure is the median of ${s.rounds} rounds.`,
    `Round trips, for every payload profile (small echo, typical tool call, 1 KiB and 16 KiB structured arguments): the kit's closed loop (a new call starts when one ends) for ${s.roundMs * LATENCY_ROUND_FACTOR} ms per round at 1 in flight and ${s.roundMs} ms at ${s.concurrency} in flight; p50/p99 over every call of the round at 1 in flight (the longer round gives the p99 a few dozen calls to stand on).`,
    'Every variant sends the same object per profile; the raw ws echo sends a message the size of our INVOKE frame for the profile, so its figures are the floor of the wire itself. The tables and charts per variant show the small echo profile; the profile tables and issue 13\'s goals show every profile.',
    'Bytes per call: bytes the server socket read and wrote (HTTP headers, WebSocket and Engine.IO framing, acks and all) during the 1-in-flight round, divided by completed calls; for stdio, the JSON-RPC lines on the pipes; for memory, ASP frame bytes.',
    `Streamed profile: one stream at a time on one connection, ${STREAM_PROFILE.tokens} tokens of ${STREAM_PROFILE.token.length} bytes per call, calls back to back for ${s.streamMs} ms; tokens/s over the whole round (invoke and completion included), time to first token median per round. Socket.IO streams as events, MCP as progress notifications.`,
    'Full duplex: the ask tool yields a chunk, asks the caller a question and waits for the answer, yields it and returns; the figure is the question’s round trip as the server measured it. MCP: an elicitation tied to the call (over Streamable HTTP it rides the call’s SSE stream, so a server in JSON-response mode, or a client without the elicitation capability, cannot be asked); plain Socket.IO: a server→client emitWithAck; the raw ws echo has no requests to ask with.',
    'Connection setup: a new connection opened and timed until its first call (the small echo) is answered (HELLO for Agent Socket, initialize + initialized for MCP, spawning the process for stdio).',
    `Idle memory: each server on a fresh process with 20 warm connections as the baseline; ${s.connections} more idle clients connect in ${s.memoryRounds} batches (each round opens one batch on every server at once, then each server runs gc twice and reports RSS and heapUsed); a batch's figure is the growth since the baseline per connection opened since, the figure the median over batches. MCP over HTTP holds ${Math.min(s.connections, MCP_MEMORY_SESSIONS)} sessions: creating an SDK Client costs this process ~8 ms of CPU each.`,
    'Targets are ratios of two variants measured in the same run: the median of per-round ratios. A missed target never fails the run; a broken variant (errors, missing or non-positive figures) does.',
  ];
}
