// Writes libs/runtime/src/openapi/openapi.metadata.ts: what the @nestjs/swagger compiler plugin learns from the
// TypeScript sources (DTO and view classes with their class-validator rules and doc comments, controllers'
// return types and doc comments), so the OpenAPI document's schemas come from the code. `tsc` cannot run
// compiler plugins and Jest compiles with SWC, so the plugin runs here, ahead of time (Nest's SWC recipe);
// a unit test fails when the committed file is stale. Usage: node scripts/openapi-metadata.mjs [outDir]
import { PluginMetadataGenerator } from '@nestjs/cli/lib/compiler/plugins/plugin-metadata-generator.js';
import { ReadonlyVisitor } from '@nestjs/swagger/plugin';
import { resolve } from 'node:path';

const outDir = resolve(process.argv[2] ?? 'libs/runtime/src/openapi');
new PluginMetadataGenerator().generate({
  visitors: [
    new ReadonlyVisitor({
      introspectComments: true,
      classValidatorShim: true,
      pathToSource: resolve('libs/runtime/src/openapi'),
      dtoFileNameSuffix: ['.dto.ts'],
      controllerFileNameSuffix: ['.controller.ts', 'sandbox-provider.module.ts'],
      esmCompatible: true,
    }),
  ],
  outputDir: outDir,
  filename: 'openapi.metadata.ts',
  tsconfigPath: 'tsconfig.build.json',
  printDiagnostics: false,
});
