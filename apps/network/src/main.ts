import { runNetwork } from '#libs/runtime';
import { mountConsole } from './console/console-site.js';
import { NETWORK_SERVICES } from './network.services.js';

await runNetwork(NETWORK_SERVICES, (app) => mountConsole(app));
