// Writes libs/runtime/src/openapi/openapi.metadata.ts: what the @nestjs/swagger compiler plugin learns from the
// TypeScript sources (the classes of `*.dto.ts` files with their class-validator rules and doc comments,
// controllers' return types and doc comments), so the OpenAPI document's schemas come from the code. `tsc`
// cannot run compiler plugins and Jest compiles with SWC, so the plugin runs here, ahead of time (Nest's SWC
// recipe). Usage: node scripts/openapi-metadata.mjs [--check]
//   --check: writes nothing; exits 1 when the committed file differs from what the sources give
//            (libs/runtime/src/openapi/openapi-metadata.spec.ts runs it).
import { PluginMetadataGenerator } from '@nestjs/cli/lib/compiler/plugins/plugin-metadata-generator.js';
import { ReadonlyVisitor } from '@nestjs/swagger/plugin';
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const outDir = resolve('libs/runtime/src/openapi');
const FILE = 'openapi.metadata.ts';
const check = process.argv.includes('--check');
// Same folder (the imports are relative to it), another name, when checking.
const filename = check ? `.openapi.metadata.check-${process.pid}.ts` : FILE;
new PluginMetadataGenerator().generate({
  visitors: [
    new ReadonlyVisitor({
      introspectComments: true,
      classValidatorShim: true,
      pathToSource: outDir,
      dtoFileNameSuffix: ['.dto.ts'],
      controllerFileNameSuffix: ['.controller.ts'],
      esmCompatible: true,
    }),
  ],
  outputDir: outDir,
  filename,
  tsconfigPath: 'tsconfig.build.json',
  printDiagnostics: false,
});
if (check) {
  const fresh = readFileSync(join(outDir, filename), 'utf8');
  rmSync(join(outDir, filename));
  if (fresh !== readFileSync(join(outDir, FILE), 'utf8')) {
    process.stderr.write(`${FILE} is stale: run npm run openapi:metadata\n`);
    process.exit(1);
  }
  process.stdout.write(`${FILE} is up to date\n`);
}
