// tsc compiles TypeScript only; data files the services read at run time are copied beside their code.
import { cpSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

const assets = ['apps/inspection/src/sampling/iso2859-1.tables.json'];
for (const asset of assets) {
  const target = `dist/${asset}`;
  mkdirSync(dirname(target), { recursive: true });
  cpSync(asset, target);
}
