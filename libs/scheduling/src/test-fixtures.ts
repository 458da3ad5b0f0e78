import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FjspInstance } from './model.js';

/** Repository root, from this file's location (libs/scheduling/src). */
export const repoRoot = path.resolve(fileURLToPath(import.meta.url), '../../../..');
/** The Brandimarte instances, copied into the repository with their source (see its README.md). */
export const fjspBenchmarkDir = path.resolve(repoRoot, 'libs/scheduling/benchmarks/fjsp');

/**
 * Two jobs, two machines; optimum 7 (checked by hand):
 * J0 = [ {M0: 3, M1: 5}, {M1: 2} ], J1 = [ {M0: 2}, {M0: 4, M1: 4} ].
 * J1 alone needs 6; with J1 = M0[0,2] M0[2,6], J0 must use M1 for both ops: M1[0,5] M1[5,7].
 * Any schedule of length 6 would need J1 = [0,2] [2,6]; on M1 it blocks J0's second op until 6 (8),
 * on M0 it blocks M0 for [0,6], forcing J0's first op onto M1 (7).
 */
export const tinyInstance: FjspInstance = {
  name: 'tiny',
  numMachines: 2,
  jobs: [
    { operations: [{ alternatives: [{ machine: 0, duration: 3 }, { machine: 1, duration: 5 }] }, { alternatives: [{ machine: 1, duration: 2 }] }] },
    { operations: [{ alternatives: [{ machine: 0, duration: 2 }] }, { alternatives: [{ machine: 0, duration: 4 }, { machine: 1, duration: 4 }] }] },
  ],
};
