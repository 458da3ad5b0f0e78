import { runNetwork } from '#libs/runtime';
import { NETWORK_SERVICES } from './network.services.js';

await runNetwork(NETWORK_SERVICES);
