import type { MeshfabServiceDefinition } from '#libs/runtime';
import { SettlementModule } from './settlement.module.js';

export const settlementService: MeshfabServiceDefinition = {
  name: 'settlement',
  moduleClass: SettlementModule,
  forRoot: (o) => SettlementModule.forRoot(o),
  consumes: ['matching', 'inspection', 'orders', 'registry'],
  parksStreams: true, // a skipped acceptance or pass leaves a lot unpaid
};
