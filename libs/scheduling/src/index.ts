export * from './model.js';
export * from './parser.js';
export * from './validator.js';
export * from './decode.js';
export * from './dispatch.js';
export * from './prng.js';
export * from './tabu.js';
export * from './solver.js';
