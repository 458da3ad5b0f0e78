import { runStandalone } from '#libs/runtime';
import { ordersService } from './orders.definition.js';
await runStandalone(ordersService);
