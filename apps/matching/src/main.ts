import { runStandalone } from '#libs/runtime';
import { matchingService } from './matching.definition.js';
await runStandalone(matchingService);
