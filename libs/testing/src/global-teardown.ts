/**
 * Jest global teardown of the integration project: stops what global-setup.ts started (embedded
 * PostgreSQL, containers, a Kafka broker it launched) and removes the endpoints file. Loaded as
 * CommonJS outside the test module map like the setup, hence the repeated key below.
 */
const TEST_INFRASTRUCTURE_KEY = '__meshfabTestInfrastructure'; // = global-setup.ts

export default async function globalTeardown(): Promise<void> {
  const infrastructure = (globalThis as Record<string, unknown>)[TEST_INFRASTRUCTURE_KEY] as
    | { stop: () => Promise<void> }
    | undefined;
  delete (globalThis as Record<string, unknown>)[TEST_INFRASTRUCTURE_KEY];
  await infrastructure?.stop();
}
