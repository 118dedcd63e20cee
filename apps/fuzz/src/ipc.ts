/** What the suite asks the server process, and what it answers. */
export type Request = { type: 'memory'; id: number; gc: boolean } | { type: 'peak'; id: number } | { type: 'stats'; id: number };

export type Reply =
  | { type: 'ready'; ws: string; sio: string }
  | { type: 'memory'; id: number; rss: number; heapUsed: number; external: number }
  | { type: 'peak'; id: number; rss: number }
  | { type: 'stats'; id: number; sessions: number; wsSockets: number; sioConnections: number };
