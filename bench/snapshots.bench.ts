// A command on a long stream against the same command on a fresh stream: the registry's quality record
// (a workshop's record for one process, fed by every inspection result and delivery for ever) through
// CommandHandler as the service runs it, with its snapshot policy and without (the reference of how a
// whole-stream replay grows). Target: a command on a 10,000-event stream within 2× of a fresh stream.
import { randomUUID } from 'node:crypto';
import { CommandHandler, ServiceDatabase, type NewEvent } from '#libs/eventsourcing';
import type { RecordInspectionOutcome } from '../apps/registry/src/quality-record/domain/quality-record.commands.js';
import { qualityRecordDecider } from '../apps/registry/src/quality-record/domain/quality-record.decider.js';
import { QUALITY_RECORD_SNAPSHOTS } from '../apps/registry/src/registry.context.js';
import { log, machineInfo, median, percentile, printReport, round } from './bench-kit.js';

const meta = { correlationId: 'bench', causationId: 'bench' };
const none = { critical: 0, major: 0, minor: 0 };

const outcome = (lot: number): RecordInspectionOutcome => ({
  type: 'RecordInspectionOutcome',
  workshopId: 'w-bench',
  process: 'sewing',
  inspectionLotId: `il-${lot}`,
  outcome: lot % 10 === 0 ? 'failed' : 'passed',
  lotSize: 500,
  sampleSize: 50,
  defects: lot % 10 === 0 ? { critical: 0, major: 2, minor: 1 } : none,
  inspectedAt: new Date(Date.UTC(2030, 0, 1) + lot * 60_000).toISOString(),
});

export async function snapshotsBench(args: { quick: boolean; databaseUrl: string }): Promise<void> {
  const streamEvents = 10_000;
  const commands = args.quick ? 60 : 200;
  const schema = `bench_snap_${randomUUID().slice(0, 8)}`;
  const db = await ServiceDatabase.open({ url: args.databaseUrl, schema, poolSize: 4 });
  const snapshotted = new CommandHandler(db.dataSource, db.store, qualityRecordDecider, { snapshots: QUALITY_RECORD_SNAPSHOTS });
  const replayed = new CommandHandler(db.dataSource, db.store, qualityRecordDecider);
  try {
    // A long stream as the handler would have written it: each outcome and the record it updated.
    log(`writing a stream of ${streamEvents} events`);
    const long = `quality-long-${randomUUID()}`;
    let state = qualityRecordDecider.initialState();
    for (let lot = 0, version = 0; version < streamEvents; ) {
      const batch: NewEvent[] = [];
      for (; batch.length < 1000 && version + batch.length < streamEvents; lot++) {
        for (const e of qualityRecordDecider.decide(outcome(lot), state)) {
          state = qualityRecordDecider.evolve(state, e);
          batch.push(e);
        }
      }
      await db.store.append(long, batch, { expectedVersion: version, metadata: meta });
      version += batch.length;
    }
    let nextLot = streamEvents;
    const timed = async (handler: typeof snapshotted, stream: string): Promise<number> => {
      const started = performance.now();
      await handler.handle(stream, outcome(nextLot++), { metadata: meta });
      return performance.now() - started;
    };
    // The first command on the long stream folds it once and writes the snapshot the others start from.
    const first = await timed(snapshotted, long);
    log(`first snapshotted command on the long stream (folds ${streamEvents} events, writes the snapshot): ${round(first)} ms`);
    // Interleaved: fresh stream (a new one each time, as the reference), long stream with snapshots, long stream replayed.
    const fresh: number[] = [];
    const withSnapshots: number[] = [];
    const withoutSnapshots: number[] = [];
    for (let i = 0; i < commands; i++) {
      fresh.push(await timed(snapshotted, `quality-fresh-${randomUUID()}`));
      withSnapshots.push(await timed(snapshotted, long));
      if (i % 4 === 0) withoutSnapshots.push(await timed(replayed, long));
    }
    const summary = (ms: number[]) => ({ samples: ms.length, p50Ms: round(median(ms)), p99Ms: round(percentile(ms, 99)) });
    const results = [
      { case: 'command on a fresh stream (reference)', ...summary(fresh) },
      { case: `command on a ${streamEvents}-event stream, snapshot every ${QUALITY_RECORD_SNAPSHOTS.every}`, ...summary(withSnapshots), ratioP50: round(median(withSnapshots) / median(fresh)), target: '≤ 2' },
      { case: `command on a ${streamEvents}-event stream, whole-stream replay (no snapshots)`, ...summary(withoutSnapshots), ratioP50: round(median(withoutSnapshots) / median(fresh)) },
    ];
    for (const r of results) log(JSON.stringify(r));
    printReport({ bench: 'snapshots', results, machine: machineInfo({ streamEvents, firstCommandOnLongStreamMs: round(first) }) });
  } finally {
    await db.dataSource.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.close();
  }
}
