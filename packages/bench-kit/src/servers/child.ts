/** Child process entry for the kit's servers: runs the one named by argv[2] until the parent says stop. */
import { serveServers } from '../remote.js';
import { kitServers } from './index.js';

await serveServers(kitServers);
