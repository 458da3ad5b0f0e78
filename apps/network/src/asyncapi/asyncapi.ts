/**
 * The AsyncAPI 3.0 document of Meshfab's integration events, generated from what the code declares:
 * - channels: one Kafka topic per producing service, `meshfab.<service>.events` (key = streamId);
 * - messages: one per event type registered with `IntegrationEvent` (libs/contracts), its payload the
 *   envelope with `data` as the contract's class-validator schema, its headers eventId/type/…;
 * - operations: each service sends on its own channel and receives, on the channels of the producers it
 *   consumes, the types it has `@OnEvent` handlers for (read from the services' Nest controllers).
 * `npm run asyncapi` writes it to docs/asyncapi.json; a unit test fails when that file is stale.
 */
import 'reflect-metadata';
import { PATTERN_METADATA } from '@nestjs/microservices/constants.js';
import { contractsOf, DEFAULT_TOPIC_NAMESPACE, deadLetterTopic, eventsTopic, MESHFAB_SERVICES } from '#libs/contracts';
import type { MeshfabServiceDefinition } from '#libs/runtime';
import { SchemaRegistry, type JsonSchema } from './json-schema.js';
import { generateSigningKeyPem, publishedKeySet, signingKeyFromPem } from '#libs/platform';

export type AsyncApiDocument = Record<string, unknown>;

const pascal = (s: string) => s.replace(/(^|[-_])(\w)/g, (_, __, c: string) => c.toUpperCase());

/** The event types each service handles, from the `@OnEvent(consumer, type)` patterns of its controllers. */
export function handledEvents(definition: MeshfabServiceDefinition): string[] {
  const key = signingKeyFromPem(generateSigningKeyPem()); // only read for its controllers: a throwaway key
  const module = definition.forRoot({ databaseUrl: 'postgres://asyncapi.invalid/none', signing: { key, keySet: publishedKeySet(key) }, env: {} });
  const controllers = [...(module.controllers ?? []), ...((Reflect.getMetadata('controllers', definition.moduleClass) as (new () => object)[] | undefined) ?? [])];
  const types = new Set<string>();
  for (const controller of new Set(controllers)) {
    for (const method of Object.getOwnPropertyNames(controller.prototype)) {
      const handler = (controller.prototype as Record<string, unknown>)[method];
      if (typeof handler !== 'function') continue;
      const patterns = (Reflect.getMetadata(PATTERN_METADATA, handler) as { consumer?: string; type?: string }[] | undefined) ?? [];
      for (const p of patterns) if (p.consumer === definition.name && p.type) types.add(p.type);
    }
  }
  return [...types].sort();
}

const envelopeProperties = (type: string, schemaVersion: number, data: JsonSchema): Record<string, JsonSchema> => ({
  eventId: { type: 'string', format: 'uuid', description: 'Unique id of the event; consumers record it in their inbox (exactly-once effects).' },
  type: { type: 'string', const: type, description: 'Past-tense PascalCase event type.' },
  schemaVersion: { type: 'integer', const: schemaVersion, description: 'Version of the data shape; older stored events are upcast when read.' },
  streamId: { type: 'string', description: 'The aggregate stream the event belongs to; also the Kafka message key.' },
  streamVersion: { type: 'integer', minimum: 1, description: 'Position of the event in its stream (optimistic concurrency).' },
  occurredAt: { type: 'string', format: 'date-time' },
  correlationId: { type: 'string', description: 'The order or request that started the chain of events.' },
  causationId: { type: 'string', description: 'The event or command that caused this event.' },
  data,
});

/** Builds the document for `services` (the network's five); deterministic for the same code. */
export function buildAsyncApiDocument(services: readonly MeshfabServiceDefinition[], version: string): AsyncApiDocument {
  const registry = new SchemaRegistry();
  const channels: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const channelOf = (producer: string) => `${producer}Events`;
  const typesOf = new Map<string, string[]>();

  for (const producer of [...MESHFAB_SERVICES].sort()) {
    const contracts = contractsOf(producer).sort((a, b) => a.type.localeCompare(b.type));
    typesOf.set(producer, contracts.map((c) => c.type));
    const channelMessages: Record<string, unknown> = {};
    for (const contract of contracts) {
      messages[contract.type] = {
        name: contract.type,
        title: contract.type,
        summary: `${contract.type}, published by ${producer}`,
        contentType: 'application/json',
        correlationId: { description: 'The order or request that started the chain', location: '$message.payload#/correlationId' },
        headers: {
          type: 'object',
          required: ['eventId', 'type'],
          properties: {
            eventId: { type: 'string', format: 'uuid' },
            type: { type: 'string', const: contract.type },
            schemaVersion: { type: 'string', const: String(contract.schemaVersion) },
            correlationId: { type: 'string' },
          },
        },
        payload: {
          type: 'object',
          required: ['eventId', 'type', 'schemaVersion', 'streamId', 'streamVersion', 'occurredAt', 'correlationId', 'causationId', 'data'],
          properties: envelopeProperties(contract.type, contract.schemaVersion, registry.refTo(contract.dto)),
        },
        bindings: { kafka: { key: { type: 'string', description: 'streamId: an aggregate’s events stay in order on one partition' }, bindingVersion: '0.5.0' } },
        'x-producer': producer,
      };
      channelMessages[contract.type] = { $ref: `#/components/messages/${contract.type}` };
    }
    if (contracts.length === 0) continue;
    channels[channelOf(producer)] = {
      address: eventsTopic(producer, DEFAULT_TOPIC_NAMESPACE),
      title: `${producer} events`,
      description:
        `Integration events of the ${producer} service, relayed in commit order from its transactional outbox. ` +
        `Tests and shared brokers prefix the topic with their own namespace (MESHFAB_KAFKA_NAMESPACE) instead of "${DEFAULT_TOPIC_NAMESPACE}".`,
      messages: channelMessages,
    };
    operations[`${producer}Sends`] = {
      action: 'send',
      title: `${producer} publishes its events`,
      channel: { $ref: `#/channels/${channelOf(producer)}` },
      messages: contracts.map((c) => ({ $ref: `#/channels/${channelOf(producer)}/messages/${c.type}` })),
    };
  }

  for (const definition of [...services].sort((a, b) => a.name.localeCompare(b.name))) {
    const handled = new Set(handledEvents(definition));
    for (const producer of [...definition.consumes].sort()) {
      const types = (typesOf.get(producer) ?? []).filter((t) => handled.has(t));
      if (types.length === 0 || !channels[channelOf(producer)]) continue;
      operations[`${definition.name}Receives${pascal(producer)}Events`] = {
        action: 'receive',
        title: `${definition.name} consumes ${producer} events`,
        description:
          `Consumer group ${DEFAULT_TOPIC_NAMESPACE}.${definition.name}; idempotent through its inbox; a message that keeps failing goes to ` +
          `${deadLetterTopic(definition.name, DEFAULT_TOPIC_NAMESPACE)} after bounded retries. Other types on the topic are skipped.`,
        channel: { $ref: `#/channels/${channelOf(producer)}` },
        messages: types.map((t) => ({ $ref: `#/channels/${channelOf(producer)}/messages/${t}` })),
      };
    }
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Meshfab integration events',
      version,
      description:
        'Events the five Meshfab services (registry, orders, matching, inspection, settlement) publish to each other. ' +
        'Generated by `npm run asyncapi` from the contracts registry (libs/contracts) and their class-validator decorators; ' +
        'every event is validated against the same contract when appended and again when consumed. The HTTP APIs are described by the OpenAPI document at /docs.',
    },
    defaultContentType: 'application/json',
    servers: {
      local: { host: '127.0.0.1:9092', protocol: 'kafka', description: 'Apache Kafka (KRaft) of docker-compose.yml or deploy/local/kafka.sh' },
    },
    channels,
    operations,
    components: { messages, schemas: Object.fromEntries([...registry.schemas.entries()].sort(([a], [b]) => a.localeCompare(b))) },
  };
}

/** The document as written to docs/asyncapi.json (two-space JSON and a final newline). */
export function renderAsyncApi(document: AsyncApiDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
