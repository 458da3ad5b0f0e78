import type { MeshfabServiceDefinition } from '#libs/runtime';
import { MatchingModule } from './matching.module.js';

export const matchingService: MeshfabServiceDefinition = {
  name: 'matching',
  moduleClass: MatchingModule,
  forRoot: (o) => MatchingModule.forRoot(o),
  consumes: ['registry', 'orders', 'inspection', 'settlement'],
  parksStreams: true, // a skipped event leaves the capacity book wrong
};
