import type { MeshfabServiceDefinition } from '#libs/runtime';
import { OrdersModule } from './orders.module.js';

export const ordersService: MeshfabServiceDefinition = {
  name: 'orders',
  moduleClass: OrdersModule,
  forRoot: (o) => OrdersModule.forRoot(o),
  consumes: ['matching', 'inspection', 'settlement', 'registry'],
  parksStreams: true, // a skipped event stalls the order saga
};
