export * from './service-definition.js';
export * from './event-transport.js';
export * from './runtime.config.js';
export * from './run.js';
