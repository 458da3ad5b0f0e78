import type { ConnectionOptions } from 'node:tls';
import type { KafkaConfig } from 'kafkajs';

/** The SASL mechanisms a Meshfab client offers (kafkajs spells them in lower case). */
export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/**
 * How every Kafka client of a process authenticates and encrypts (the relays, the consumers, the readiness
 * probe): TLS (`true` trusts the system's CAs; an object carries a CA and a client certificate) and SASL.
 * Unset: PLAINTEXT without authentication, as the local broker and docker-compose run.
 */
export interface KafkaSecurity {
  ssl?: boolean | Pick<ConnectionOptions, 'ca' | 'cert' | 'key' | 'servername'>;
  sasl?: { mechanism: SaslMechanism; username: string; password: string };
}

/** What the start-up banner says of it (never the password). */
export function describeKafkaSecurity(security: KafkaSecurity | undefined): string {
  const parts = [security?.ssl ? 'TLS' : 'no TLS'];
  if (security?.sasl) parts.push(`SASL ${security.sasl.mechanism.toUpperCase()} as ${security.sasl.username}`);
  return parts.join(', ');
}

/** The kafkajs client options for `security`. */
export function kafkajsSecurityOptions(security: KafkaSecurity | undefined): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const sasl = security?.sasl;
  // One SASL variant at a time, as kafkajs's types want it.
  const saslOptions: KafkaConfig['sasl'] =
    sasl?.mechanism === 'plain'
      ? { mechanism: 'plain', username: sasl.username, password: sasl.password }
      : sasl?.mechanism === 'scram-sha-256'
        ? { mechanism: 'scram-sha-256', username: sasl.username, password: sasl.password }
        : sasl?.mechanism === 'scram-sha-512'
          ? { mechanism: 'scram-sha-512', username: sasl.username, password: sasl.password }
          : undefined;
  return { ...(security?.ssl ? { ssl: security.ssl } : {}), ...(saslOptions ? { sasl: saslOptions } : {}) };
}
