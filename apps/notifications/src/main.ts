import { runStandalone } from '#libs/runtime';
import { notificationsService } from './notifications.definition.js';
await runStandalone(notificationsService);
