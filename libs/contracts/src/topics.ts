/**
 * Topic names. `namespace` is `meshfab` in every deployment; tests that share one broker across runs
 * pass their own, so runs never read each other's events.
 */
export const DEFAULT_TOPIC_NAMESPACE = 'meshfab';

/** Kafka topic that carries the integration events one service produces. */
export const eventsTopic = (producer: string, namespace = DEFAULT_TOPIC_NAMESPACE): string => `${namespace}.${producer}.events`;

/** Kafka topic that receives the messages one service could not handle after its retries. */
export const deadLetterTopic = (consumer: string, namespace = DEFAULT_TOPIC_NAMESPACE): string => `${namespace}.${consumer}.dlq`;

/** Consumer group of a consuming service. */
export const consumerGroup = (consumer: string, namespace = DEFAULT_TOPIC_NAMESPACE): string => `${namespace}.${consumer}`;
