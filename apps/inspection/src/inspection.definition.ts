import type { MeshfabServiceDefinition } from '#libs/runtime';
import { InspectionModule } from './inspection.module.js';

export const inspectionService: MeshfabServiceDefinition = {
  name: 'inspection',
  moduleClass: InspectionModule,
  forRoot: (o) => InspectionModule.forRoot(o),
  consumes: ['matching', 'registry'],
};
