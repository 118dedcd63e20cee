import type { CallProfile } from './profiles.js';

/** One connection to a variant's server, driven by the measurements. */
export interface Session {
  /** One call of the profile's tool with its arguments; rejects if the answer is wrong. */
  call(profile: CallProfile): Promise<void>;
  /** Calls the streaming tool for `count` tokens; `onToken` runs per token. Resolves with the token count; rejects on a short stream. */
  stream?(count: number, onToken: () => void): Promise<number>;
  /** Calls the ask tool; resolves with the question's round trip as the server measured it, ms. */
  ask?(): Promise<number>;
  close(): Promise<void>;
}

/** Process memory of a server, after a full garbage collection. */
export interface MemorySample {
  rss: number;
  heapUsed: number;
  external: number;
}

/** A variant's server once started, wherever it runs. */
export interface Running {
  /** Opens a new connection (for setup time this is timed together with the first call). */
  connect(): Promise<Session>;
  /**
   * Bytes counted so far on the wire for this variant, both directions (see Variant.bytesAt), and
   * the CPU time the server process has used so far, µs (NaN where the server is not a process of its own).
   */
  counters(): Promise<{ bytes: number; cpuUs: number }>;
  /** The server process's memory after gc; absent where the server is not a process of its own. */
  memory?(): Promise<MemorySample>;
  stop(): Promise<void>;
}

export type Role = 'floor' | 'ours' | 'reference';

/** What a variant cannot do, by measurement. */
export type Capability = 'stream' | 'ask' | 'memory';

/** One thing compared: a server and a way to connect to it. */
export interface Variant {
  /** Short id used in JSON and on the command line, e.g. "ws". */
  readonly id: string;
  /** Shown in tables. */
  readonly label: string;
  /** Shown beside chart bars. */
  readonly short: string;
  readonly role: Role;
  /** Where its server runs, for the report. */
  readonly server: string;
  /** Where bytes are counted, for the report. */
  readonly bytesAt: string;
  /** Why a measurement does not apply, by measurement; absent means it runs. */
  readonly cannot: Partial<Record<Capability, string>>;
  /** Caps connections timed per setup round where each one is costly (a process per stdio connection). */
  readonly maxSetupSamples?: number;
  /** Caps idle connections in the memory phase where opening one is costly for the client. */
  readonly maxMemoryConnections?: number;
  start(): Promise<Running>;
}

/** A variant with its server up and one long-lived connection, shared by the measurements. */
export interface Live {
  readonly variant: Variant;
  readonly running: Running;
  readonly session: Session;
}

/** Starts a variant's server and opens the connection the measurements share. */
export async function startLive(variant: Variant): Promise<Live> {
  const running = await variant.start();
  try {
    return { variant, running, session: await running.connect() };
  } catch (error) {
    await running.stop();
    throw error;
  }
}

/** `Name: message`, with the cause's when there is one (e.g. what made a fetch fail). */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (cause: ${error.cause.name}: ${error.cause.message})` : '';
  return `${error.name}: ${error.message}${cause}`;
}
