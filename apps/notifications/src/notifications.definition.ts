import type { MeshfabServiceDefinition } from '#libs/runtime';
import { NotificationsModule } from './notifications.module.js';

export const notificationsService: MeshfabServiceDefinition = {
  name: 'notifications',
  moduleClass: NotificationsModule,
  forRoot: (o) => NotificationsModule.forRoot(o),
  consumes: ['registry', 'orders', 'matching', 'inspection', 'settlement'],
};
