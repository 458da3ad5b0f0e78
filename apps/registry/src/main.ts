import { runStandalone } from '#libs/runtime';
import { registryService } from './registry.definition.js';
await runStandalone(registryService);
