export * from './event-context.js';
export * from './on-event.decorator.js';
export * from './event-dispatcher.js';
export * from './event-consumer.server.js';
export * from './embedded-event-bus.js';
export * from './embedded-event-consumer.js';
export * from './kafka-event-consumer.js';
export * from './kafka-outbox-relay.js';
export { ensureTopics, KafkaReachability } from './kafka-client.js';
