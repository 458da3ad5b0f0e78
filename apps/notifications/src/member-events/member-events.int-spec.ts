// The log of what members are told, read by the SSE stream, on a real PostgreSQL: a stream opened without
// Last-Event-ID starts "now" and must never skip an event whose transaction was still running when it
// opened (the consumer writes several members' events in one transaction per batch, so such transactions
// are common), and a stream that resumes from the last id it got never repeats or skips an event.
import { ServiceDatabase } from '#libs/eventsourcing';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '#libs/testing';
import { notificationsMigrations } from '../notifications.migrations.js';
import { MemberEventsService, messageIdOf, type MemberEventRow } from './member-events.service.js';

describe('MemberEventsService: the stream position (real PostgreSQL)', () => {
  const schema = uniqueSchema('member_events');
  let db: ServiceDatabase;
  let events: MemberEventsService;
  let n = 0;

  beforeAll(async () => {
    db = await ServiceDatabase.open({ url: testDatabaseUrl(), schema, migrations: notificationsMigrations(schema), poolSize: 6 });
    events = new MemberEventsService(db, () => new Date(), () => undefined);
  });

  afterAll(async () => {
    await db?.close();
    await dropSchema(testDatabaseUrl(), schema);
  });

  const notice = (memberId: string) => ({ memberId, role: 'workshop' as const, type: 'SubtaskOffered', data: { n: ++n } });

  /** Everything `member` gets from `from` on, paging as the SSE pump does. */
  async function drain(member: string, from: { txId: string; seq: string } | null): Promise<MemberEventRow[]> {
    const got: MemberEventRow[] = [];
    let position = from;
    for (;;) {
      const rows = await events.after(member, position, 2);
      got.push(...rows);
      if (rows.length === 0) return got;
      const last = rows[rows.length - 1];
      position = { txId: last.tx_id, seq: last.seq };
    }
  }

  it('a stream opened while an older transaction is still writing gets that transaction\'s event once it commits', async () => {
    const member = `ws-${schema}`;
    await db.dataSource.transaction((m) => events.tell(m, 'e-before', new Date(), notice(member)));
    // An older transaction (the lower transaction id) is running: it has written something already.
    const older = db.dataSource.createQueryRunner();
    await older.connect();
    await older.startTransaction();
    await older.query(`SELECT pg_current_xact_id()`);
    // A younger one commits an event for the member first.
    await db.dataSource.transaction((m) => events.tell(m, 'e-younger', new Date(), notice(member)));
    // The dashboard opens its stream now.
    const start = await events.startOfNow();
    // The older transaction's event commits after the stream opened.
    await events.tell(older.manager, 'e-older', new Date(), notice(member));
    await older.commitTransaction();
    await older.release();
    await db.dataSource.transaction((m) => events.tell(m, 'e-after', new Date(), notice(member)));

    const got = (await drain(member, start)).map((r) => r.message_id);
    const id = (source: string) => messageIdOf(source, member);
    expect(got).toEqual(expect.arrayContaining([id('e-older'), id('e-after')]));
    expect(got).not.toContain(id('e-before'));
    expect(new Set(got).size).toBe(got.length);
  });

  it('resuming from any id it sent repeats nothing and skips nothing', async () => {
    const member = `ws2-${schema}`;
    // One transaction's events cross from seq 99 to 100 ("100" sorts before "99" as text).
    await db.dataSource.query(`SELECT setval(pg_get_serial_sequence('${schema}.member_events', 'seq'), 97)`);
    for (let batch = 0; batch < 5; batch++) {
      await db.dataSource.transaction(async (m) => {
        for (let i = 0; i < 3; i++) await events.tell(m, `r-${batch}-${i}`, new Date(), notice(member));
      });
    }
    const all = await drain(member, null);
    expect(all.map((r) => r.message_id)).toEqual(Array.from({ length: 15 }, (_, k) => messageIdOf(`r-${Math.floor(k / 3)}-${k % 3}`, member)));
    for (let k = 0; k < all.length; k++) {
      const resumed = await drain(member, { txId: all[k].tx_id, seq: all[k].seq });
      expect(resumed.map((r) => r.seq)).toEqual(all.slice(k + 1).map((r) => r.seq));
    }
  });

  it('a member with no events yet starts at the first one written', async () => {
    const member = `ws3-${schema}`;
    const start = await events.startOfNow();
    await db.dataSource.transaction((m) => events.tell(m, 'only', new Date(), notice(member)));
    expect((await drain(member, start)).map((r) => r.message_id)).toEqual([messageIdOf('only', member)]);
  });

  it("writes one event's notices in order with the deliveries of the endpoints subscribed to each, once", async () => {
    const [brand, workshop] = [`brand-${schema}`, `ws4-${schema}`];
    const endpoint = (id: string, member: string, types: string[], status = 'enabled') =>
      db.dataSource.query(
        `INSERT INTO "${schema}".webhook_endpoints (id, member_id, member_role, url, event_types, secret_sealed, status, created_at, updated_at)
         VALUES ($1, $2, 'brand', 'https://hooks.example.com/x', $3, 'sealed', $4, now(), now())`,
        [id, member, types, status],
      );
    await endpoint(`all-${schema}`, brand, ['*']);
    await endpoint(`offers-${schema}`, workshop, ['SubtaskOffered']);
    await endpoint(`other-${schema}`, workshop, ['PaymentReleased']);
    await endpoint(`off-${schema}`, workshop, ['*'], 'disabled');
    const notices = [
      { memberId: brand, role: 'brand' as const, type: 'SubtaskOffered', data: { to: 'brand' } },
      { memberId: workshop, role: 'workshop' as const, type: 'SubtaskOffered', data: { to: 'workshop', quote: 'it\'s "quoted" \\ {x}' } },
    ];
    const write = () => db.dataSource.transaction((m) => events.tellAll(m, 'e-both', new Date('2026-01-01T00:00:00Z'), notices));
    expect(await write()).toBe(2);
    expect(await write()).toBe(0);
    const rows: { member_id: string; payload: unknown; endpoint_id: string | null }[] = await db.dataSource.query(
      `SELECT m.member_id, m.payload, d.endpoint_id FROM "${schema}".member_events m LEFT JOIN "${schema}".webhook_deliveries d ON d.event_seq = m.seq
        WHERE m.source_event_id = 'e-both' ORDER BY m.seq`,
    );
    expect(rows).toEqual([
      { member_id: brand, payload: { to: 'brand' }, endpoint_id: `all-${schema}` },
      { member_id: workshop, payload: notices[1].data, endpoint_id: `offers-${schema}` },
    ]);
  });
  it('learns a lot from its offer in the offer\'s one statement (or from an acceptance alone), and tells its workshop of the lot\'s funding', async () => {
    const envelope = (type: string, subtaskId: string, data: Record<string, unknown>) => ({
      eventId: `${type}-${subtaskId}-${schema}`,
      type,
      streamId: subtaskId,
      correlationId: 'c',
      causationId: 'c',
      occurredAt: new Date().toISOString(),
      data: { subtaskId, orderId: `o-${subtaskId}`, ...data },
    });
    const lot = (subtaskId: string) => ({ brandId: `b-${subtaskId}`, workshopId: `w-${subtaskId}` });
    const offered = `st-offered-${schema}`;
    const accepted = `st-accepted-${schema}`;
    const statements: string[] = [];
    await db.dataSource.transaction(async (m) => {
      const query = m.query.bind(m);
      m.query = ((sql: string, params?: unknown[]) => (statements.push(sql), query(sql, params))) as typeof m.query;
      await events.record(envelope('SubtaskOffered', offered, { ...lot(offered), stepId: 's', process: 'p', quantity: 1 }) as never, m);
    });
    expect(statements).toHaveLength(1);
    await db.dataSource.transaction((m) => events.record(envelope('SubtaskAccepted', accepted, lot(accepted)) as never, m));
    for (const subtaskId of [offered, accepted]) {
      await db.dataSource.transaction((m) => events.record(envelope('EscrowFunded', subtaskId, { amount: { amountMinor: 100, currency: 'CNY' } }) as never, m));
      // EscrowFunded does not name the workshop: it is the known lot's.
      expect((await drain(`w-${subtaskId}`, null)).map((r) => r.type)).toEqual(subtaskId === offered ? ['SubtaskOffered', 'EscrowFunded'] : ['EscrowFunded']);
    }
  });
});
