// tsc compiles TypeScript only; data files the services read at run time are copied beside their code,
// and the network's console (plain ES modules and CSS, no bundler) beside the network's.
import { cpSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

const assets = ['apps/inspection/src/sampling/iso2859-1.tables.json', 'apps/network/console'];
for (const asset of assets) {
  const target = `dist/${asset}`;
  mkdirSync(dirname(target), { recursive: true });
  cpSync(asset, target, { recursive: true });
}
