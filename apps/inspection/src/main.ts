import { runStandalone } from '#libs/runtime';
import { inspectionService } from './inspection.definition.js';
await runStandalone(inspectionService);
