import type { MeshfabServiceDefinition } from '#libs/runtime';
import { inspectionService } from '../../inspection/src/inspection.definition.js';
import { matchingService } from '../../matching/src/matching.definition.js';
import { ordersService } from '../../orders/src/orders.definition.js';
import { registryService } from '../../registry/src/registry.definition.js';
import { settlementService } from '../../settlement/src/settlement.definition.js';

/** The five services of the network, as `npm start` hosts them in one process. */
export const NETWORK_SERVICES: readonly MeshfabServiceDefinition[] = [
  registryService,
  ordersService,
  matchingService,
  inspectionService,
  settlementService,
];
