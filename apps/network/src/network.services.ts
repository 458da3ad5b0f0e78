import type { MeshfabServiceDefinition } from '#libs/runtime';
import { inspectionService } from '../../inspection/src/inspection.definition.js';
import { matchingService } from '../../matching/src/matching.definition.js';
import { notificationsService } from '../../notifications/src/notifications.definition.js';
import { ordersService } from '../../orders/src/orders.definition.js';
import { registryService } from '../../registry/src/registry.definition.js';
import { settlementService } from '../../settlement/src/settlement.definition.js';

/** The six services of the network (five producers and notifications, which tells members of their events), as `npm start` hosts them in one process. */
export const NETWORK_SERVICES: readonly MeshfabServiceDefinition[] = [
  registryService,
  ordersService,
  matchingService,
  inspectionService,
  settlementService,
  notificationsService,
];
