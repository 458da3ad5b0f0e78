/**
 * What the chaos run checks after recovery, read straight from each service's schema and from Kafka
 * (a test may look into every schema; the services never do):
 *
 * - every event a consumer subscribes to was handled by it (its inbox holds the event id), and every
 *   event of every store was published (the relay's checkpoint is at the end of the log);
 * - no event was applied twice: the inbox keys each handled event once per consumer, and no consumer
 *   recorded two effects of one incoming event on one stream (the same type caused by the same event);
 * - every consumer group has read its topics to the end;
 * - no workshop is booked past its capacity: matching's capacity book recounted from its reservations;
 * - no dead letters.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { consumerGroup, eventsTopic } from '#libs/contracts';
import { SERVICES, type ServiceName } from './service-process.js';

/** Which event types each consumer handles from each producer: the AsyncAPI document's receive operations. */
export function subscriptions(root: string): Map<ServiceName, Map<ServiceName, string[]>> {
  const doc = JSON.parse(readFileSync(join(root, 'docs/asyncapi.json'), 'utf8')) as {
    operations: Record<string, { action: string; channel: { $ref: string }; messages: { $ref: string }[] }>;
  };
  const result = new Map<ServiceName, Map<ServiceName, string[]>>(SERVICES.map((s) => [s, new Map()]));
  for (const [name, op] of Object.entries(doc.operations)) {
    if (op.action !== 'receive') continue;
    const match = /^(\w+)Receives(\w+)Events$/.exec(name);
    if (!match) throw new Error(`unexpected AsyncAPI operation name ${name}`);
    const consumer = match[1] as ServiceName;
    const producer = match[2].toLowerCase() as ServiceName;
    // The chaos network runs the five producers; a consumer it does not run (notifications) is not audited here.
    if (!result.has(consumer)) continue;
    result.get(consumer)!.set(producer, op.messages.map((m) => m.$ref.split('/').pop()!));
  }
  // A service hosted without the registry also hears the registry's revocations (libs/runtime revoked-tokens).
  for (const consumer of SERVICES) {
    if (consumer === 'registry') continue;
    const fromRegistry = result.get(consumer)!.get('registry') ?? [];
    result.get(consumer)!.set('registry', [...fromRegistry, 'MemberTokenRevoked']);
  }
  return result;
}

export interface AuditFindings {
  eventsPerService: Record<string, number>;
  inboxPerService: Record<string, number>;
  /** consumer ← producer: events of a subscribed type with no inbox entry at the consumer. */
  unhandled: Record<string, number>;
  /** Events stored but never published (after the relay's checkpoint). */
  unpublished: Record<string, number>;
  /** Effects recorded twice for one incoming event: `consumer: type on stream caused by eventId`. */
  doubleEffects: string[];
  /** Capacity rows whose booked minutes exceed the capacity, or disagree with the reservations behind them. */
  capacityViolations: string[];
  capacityRows: number;
  /** Reservations ever booked (the check is not vacuous), and those still held at the end. */
  reservations: number;
  heldReservations: number;
  deadLetters: Record<string, number>;
}

export async function auditSchemas(databaseUrl: string, schemas: Record<ServiceName, string>, root: string): Promise<AuditFindings> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const q = (s: string) => client.escapeIdentifier(s);
  const count = async (sql: string, params: unknown[] = []) => Number(((await client.query(sql, params)).rows[0] as { n: string }).n);
  try {
    const findings: AuditFindings = {
      eventsPerService: {},
      inboxPerService: {},
      unhandled: {},
      unpublished: {},
      doubleEffects: [],
      capacityViolations: [],
      capacityRows: 0,
      reservations: 0,
      heldReservations: 0,
      deadLetters: {},
    };
    for (const service of SERVICES) {
      const s = q(schemas[service]);
      findings.eventsPerService[service] = await count(`SELECT count(*) AS n FROM ${s}.events`);
      findings.inboxPerService[service] = await count(`SELECT count(*) AS n FROM ${s}.inbox`);
      findings.deadLetters[service] = await count(`SELECT count(*) AS n FROM ${s}.dead_letters`);
      findings.unpublished[service] = await count(
        `SELECT count(*) AS n FROM ${s}.events e
          WHERE NOT EXISTS (SELECT 1 FROM ${s}.checkpoints c WHERE c.subscription_id = 'kafka-outbox-relay' AND (e.transaction_id, e.global_position) <= (c.transaction_id, c.position))`,
      );
    }
    for (const [consumer, producers] of subscriptions(root)) {
      for (const [producer, types] of producers) {
        findings.unhandled[`${consumer} <- ${producer}`] = await count(
          `SELECT count(*) AS n FROM ${q(schemas[producer])}.events e
            WHERE e.type = ANY($1) AND NOT EXISTS (SELECT 1 FROM ${q(schemas[consumer])}.inbox i WHERE i.consumer = $2 AND i.event_id = e.event_id)`,
          [types, consumer],
        );
      }
      // An incoming event handled twice would record its effect twice: an event of the same type and data on
      // the same stream, caused by it (data compared without its top-level timestamps, `at`, `releasedAt`, …,
      // which a second run of the handler would stamp anew). One event may rightly cause several events of
      // one type on a stream (two steps released at once): those differ in their data.
      const others = SERVICES.filter((s) => s !== consumer);
      const twice = await client.query(
        `SELECT e.type, e.stream_id, e.causation_id, count(*) AS n FROM ${q(schemas[consumer])}.events e
          WHERE e.causation_id IN (${others.map((o) => `SELECT event_id::text FROM ${q(schemas[o])}.events`).join(' UNION ALL ')})
          GROUP BY e.type, e.stream_id, e.causation_id, e.data - ARRAY(SELECT k FROM jsonb_object_keys(e.data) k WHERE k ~ '(^at|At)$')
          HAVING count(*) > 1`,
      );
      for (const row of twice.rows as { type: string; stream_id: string; causation_id: string; n: string }[]) {
        findings.doubleEffects.push(`${consumer}: ${row.n} × ${row.type} on ${row.stream_id} caused by ${row.causation_id}`);
      }
    }
    const m = q(schemas.matching);
    findings.capacityRows = await count(`SELECT count(*) AS n FROM ${m}.capacity_days`);
    // A delivered lot gives back its days ahead, so at the end few reservations are still held.
    findings.reservations = await count(`SELECT count(*) AS n FROM ${m}.reservations`);
    findings.heldReservations = await count(`SELECT count(*) AS n FROM ${m}.reservations WHERE status <> 'released'`);
    const book = await client.query(
      `SELECT d.workshop_id, d.process, d.day::text AS day, d.capacity_min, d.reserved_min, coalesce(r.minutes, 0) AS booked
         FROM ${m}.capacity_days d
         LEFT JOIN (SELECT workshop_id, process, day, sum(minutes) AS minutes FROM ${m}.reservations WHERE status <> 'released' GROUP BY 1, 2, 3) r
           USING (workshop_id, process, day)
        WHERE d.reserved_min > d.capacity_min OR d.reserved_min <> coalesce(r.minutes, 0) OR coalesce(r.minutes, 0) > d.capacity_min`,
    );
    for (const row of book.rows as { workshop_id: string; process: string; day: string; capacity_min: number; reserved_min: number; booked: string }[]) {
      findings.capacityViolations.push(`${row.workshop_id} ${row.process} ${row.day}: capacity ${row.capacity_min} min, reserved ${row.reserved_min}, reservations ${row.booked}`);
    }
    // Reservations for a day the book does not know would escape the recount above.
    const orphans = await count(
      `SELECT count(*) AS n FROM ${m}.reservations r WHERE r.status <> 'released'
         AND NOT EXISTS (SELECT 1 FROM ${m}.capacity_days d WHERE (d.workshop_id, d.process, d.day) = (r.workshop_id, r.process, r.day))`,
    );
    if (orphans > 0) findings.capacityViolations.push(`${orphans} reservations on days without capacity`);
    return findings;
  } finally {
    await client.end();
  }
}

/** Messages each consumer group has yet to read, per group (0 everywhere: every group read its topics to the end). */
export async function consumerLag(brokers: string[], namespace: string, root: string): Promise<Record<string, number>> {
  const kafka = new kafkajs.Kafka({ brokers, clientId: 'meshfab-chaos-audit', logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const lag: Record<string, number> = {};
    for (const [consumer, producers] of subscriptions(root)) {
      const topics = [...producers.keys()].map((p) => eventsTopic(p, namespace));
      const committed = await admin.fetchOffsets({ groupId: consumerGroup(consumer, namespace), topics });
      let behind = 0;
      for (const topic of topics) {
        const ends = await admin.fetchTopicOffsets(topic);
        const mine = committed.find((c) => c.topic === topic)?.partitions ?? [];
        for (const end of ends) {
          const at = Number(mine.find((p) => p.partition === end.partition)?.offset ?? -1);
          behind += Number(end.high) - (at < 0 ? Number(end.low) : at);
        }
      }
      lag[consumer] = behind;
    }
    return lag;
  } finally {
    await admin.disconnect();
  }
}

/** Members of a consumer group and how many partitions each holds now. */
export async function groupAssignments(brokers: string[], namespace: string, consumer: string): Promise<{ memberId: string; partitions: number }[]> {
  const kafka = new kafkajs.Kafka({ brokers, clientId: 'meshfab-chaos-audit', logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([consumerGroup(consumer, namespace)]);
    return (groups[0]?.members ?? []).map((member) => {
      const assignment = kafkajs.AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
      return { memberId: member.memberId, partitions: Object.values(assignment?.assignment ?? {}).reduce((s, p) => s + p.length, 0) };
    });
  } finally {
    await admin.disconnect();
  }
}
