import type { MeshfabServiceDefinition } from '#libs/runtime';
import { RegistryModule } from './registry.module.js';

export const registryService: MeshfabServiceDefinition = {
  name: 'registry',
  moduleClass: RegistryModule,
  forRoot: (o) => RegistryModule.forRoot(o),
  consumes: ['inspection', 'matching'],
};
