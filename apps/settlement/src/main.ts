import { runStandalone } from '#libs/runtime';
import { settlementService } from './settlement.definition.js';
await runStandalone(settlementService);
