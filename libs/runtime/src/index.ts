export * from './service-definition.js';
export * from './event-transport.js';
