// Helpers for tests. The integration infrastructure itself (PostgreSQL, Kafka) is provided by
// global-setup.ts, which Jest runs; tests reach it through the functions below.
export * from './decider-spec.js';
export * from './infrastructure.js';
export * from './test-tokens.js';
export * from './wait-for.js';
