/** Kafka topic that carries the integration events one service produces. */
export const eventsTopic = (producer: string): string => `meshfab.${producer}.events`;

/** Kafka topic that receives the messages one service could not handle after its retries. */
export const deadLetterTopic = (consumer: string): string => `meshfab.${consumer}.dlq`;
