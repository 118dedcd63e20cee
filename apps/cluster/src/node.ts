import { runNodeProcess } from './node-process.js';

/** One cluster node process: `node --import tsx src/node.ts --port 8080 --node-id n1`. */
await runNodeProcess();
