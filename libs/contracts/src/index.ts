export * from './envelope.js';
export * from './topics.js';
export * from './contract-registry.js';
