import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { SubtaskCompletedContract } from '#libs/contracts';
import { NotFound } from '#libs/domain';
import { CommandHandler, ident, ServiceDatabase, type EventMetadata } from '#libs/eventsourcing';
import { isTransientConflict } from '#libs/platform';
import { INSPECTION_CLOCK, INSPECTION_CONFIG, SAMPLING_TABLES, type InspectionConfig } from '../config.js';
import { acceptanceNumberOneStepTighter } from '../sampling/sampling-plan.js';
import type { SamplingTables } from '../sampling/sampling-tables.js';
import { switchingDecider, switchingStreamId } from '../switching-state/domain/switching-state.decider.js';
import { EVIDENCE_STORAGE, type EvidenceFileMeta, type EvidenceStorage } from '../evidence/evidence-storage.js';
import { InspectorPool } from '../inspector-pool/inspector-pool.js';
import { WorkshopSeverityProjection } from '../switching-state/workshop-severity.projection.js';
import type { DisputeInspectionResult, RecordInspectionResult } from './domain/inspection-lot.commands.js';
import { inspectionLotDecider } from './domain/inspection-lot.decider.js';
import type { InspectionLotEvent } from './domain/inspection-lot.events.js';
import { buildLotPlan } from './domain/lot-plan.js';
import { InspectionLotsProjection } from './inspection-lots.projection.js';

export const inspectionLotStreamId = (lotId: string): string => `inspection-lot-${lotId}`;

/** Deterministic, so a completion delivered twice opens the same lot. */
export const inspectionLotIdFor = (subtaskId: string, reworkRound: number): string =>
  `il_${createHash('sha256').update(`${subtaskId}\u0000${reworkRound}`).digest('hex').slice(0, 24)}`;

export interface LotRow {
  lot_id: string;
  subtask_id: string;
  order_id: string;
  brand_id: string;
  step_id: string;
  process: string;
  workshop_id: string;
  rework_round: number;
  lot_size: number;
  scrap_quantity: number;
  sample_size: number;
  severity: string;
  plan: unknown;
  status: string;
  completed_at: Date;
  opened_at: Date;
  inspected_at: Date | null;
  inspector_id: string | null;
  disposition: string | null;
  result: unknown;
  assigned_inspector_id: string | null;
  assigned_at: Date | null;
  assignment_due_at: Date | null;
  visible_to: string[];
  dispute_window_ends_at: Date | null;
  final: boolean;
  dispute: unknown;
}

export interface LotFilter {
  status?: string;
  workshopId?: string;
  brandId?: string;
  orderId?: string;
  subtaskId?: string;
  /** Only lots given to this inspector (and not taken back). */
  visibleTo?: string;
  limit: number;
  /** Lots strictly after this (opened_at text, lot id) key: the next page. */
  after?: string[];
}

export type ResultInput = Omit<RecordInspectionResult, 'type' | 'inspectedAt' | 'maxReworkRounds' | 'disputeWindowSeconds'>;
export type DisputeInput = Omit<DisputeInspectionResult, 'type' | 'at'>;

@Injectable()
export class InspectionLotsService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger(InspectionLotsService.name);
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<unknown> | undefined;
  private readonly lots: CommandHandler<ReturnType<typeof inspectionLotDecider.initialState>, Parameters<typeof inspectionLotDecider.decide>[0], InspectionLotEvent>;
  private readonly switching;
  private readonly schema: string;

  constructor(
    @Inject(ServiceDatabase) private readonly db: ServiceDatabase,
    @Inject(INSPECTION_CONFIG) private readonly config: InspectionConfig,
    @Inject(INSPECTION_CLOCK) private readonly clock: () => Date,
    @Inject(SAMPLING_TABLES) private readonly tables: SamplingTables,
    @Inject(InspectorPool) private readonly pool: InspectorPool,
    @Inject(EVIDENCE_STORAGE) private readonly evidence: EvidenceStorage,
  ) {
    this.schema = ident(db.schema);
    this.lots = new CommandHandler(db.dataSource, db.store, inspectionLotDecider, { projections: [new InspectionLotsProjection(db.schema)] });
    this.switching = new CommandHandler(db.dataSource, db.store, switchingDecider, { projections: [new WorkshopSeverityProjection(db.schema)] });
  }

  /** A workshop finished a lot: open its inspection lot with the plan for the workshop+process's current severity. */
  async openFromCompletion(event: SubtaskCompletedContract, manager: EntityManager, metadata: EventMetadata): Promise<string | null> {
    if (event.goodQuantity === 0) {
      this.log.warn(`subtask ${event.subtaskId} completed with no good units; nothing to inspect`);
      return null;
    }
    const reworkRound = event.reworkRound ?? 0;
    const lotId = inspectionLotIdFor(event.subtaskId, reworkRound);
    const { state: switching } = await this.switching.load(switchingStreamId(event.workshopId, event.process), manager);
    const plan = buildLotPlan(this.tables, {
      lotSize: event.goodQuantity,
      level: event.inspection.level,
      severity: switching.severity,
      reinspection: reworkRound > 0,
      aqls: {
        critical: event.inspection.criticalAql ?? this.config.MESHFAB_INSPECTION_DEFAULT_CRITICAL_AQL,
        major: event.inspection.aql,
        minor: event.inspection.minorAql ?? this.config.MESHFAB_INSPECTION_DEFAULT_MINOR_AQL,
      },
    });
    await this.lots.handle(
      inspectionLotStreamId(lotId),
      {
        type: 'OpenInspectionLot',
        facts: {
          inspectionLotId: lotId,
          subtaskId: event.subtaskId,
          orderId: event.orderId,
          brandId: event.brandId,
          stepId: event.stepId,
          process: event.process,
          workshopId: event.workshopId,
          lotSize: event.goodQuantity,
          reworkRound,
        },
        scrapQuantity: event.scrapQuantity,
        completedAt: event.completedAt,
        plan,
        openedAt: this.clock().toISOString(),
      },
      { manager, metadata },
    );
    await this.assign(lotId, { manager, metadata, expire: false });
    return lotId;
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (this.sweeping) return;
      this.sweeping = this.sweep()
        .catch((error: unknown) => (isTransientConflict(error) ? this.log.warn('assignment sweep lost a race; the next one retries') : this.log.error(`assignment sweep failed: ${String(error)}`)))
        .finally(() => (this.sweeping = undefined));
    }, this.config.MESHFAB_INSPECTION_SWEEP_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  /**
   * Gives the lot to an eligible inspector (pure decision in the lot's decider from the candidates read
   * here); with `expire`, first takes it from an assignee whose time is up.
   */
  async assign(lotId: string, options: { manager?: EntityManager; metadata: EventMetadata; expire: boolean }): Promise<void> {
    const work = async (manager: EntityManager) => {
      const { state } = await this.lots.load(inspectionLotStreamId(lotId), manager);
      if (state.status === 'none') return;
      const { facts } = state;
      // One after another: the three share the transaction's one connection (pg queues concurrent
      // queries on a client, deprecated and gone in pg 9).
      const candidates = await this.pool.candidates(facts.process, manager);
      const region = await this.pool.regionOf(facts.workshopId, manager);
      const nominee = await this.pool.nomineeOf(facts.brandId, manager);
      await this.lots.handle(
        inspectionLotStreamId(lotId),
        { type: 'AssignInspector', candidates, region, nominee, at: this.clock().toISOString(), timeoutSeconds: this.config.MESHFAB_INSPECTION_ASSIGNMENT_TIMEOUT_SECONDS, expire: options.expire },
        { manager, metadata: options.metadata },
      );
    };
    if (options.manager) await work(options.manager);
    else await this.db.dataSource.transaction(work);
  }

  /** An operator's reassignment of one lot (see ReassignInspector); answers the lot as it is afterwards. */
  async reassign(lotId: string, input: { to: string; reason: string; by: string }): Promise<LotRow> {
    const row = await this.findLot(lotId);
    if (!row) throw new NotFound('inspection_lot', lotId);
    await this.db.dataSource.transaction((manager) =>
      this.reassignIn(manager, lotId, { to: input.to, reason: input.reason, by: input.by }, { correlationId: row.order_id, causationId: `http:reassign:${input.by}` }),
    );
    return (await this.findLot(lotId))!;
  }

  /**
   * The registry suspended an inspector: it is no longer a candidate, and every lot it holds goes to another
   * eligible inspector (or waits for one), in the transaction of the event.
   */
  async onInspectorSuspended(inspectorId: string, reason: string, by: string, manager: EntityManager, metadata: EventMetadata): Promise<void> {
    await this.pool.suspend(inspectorId, true, manager);
    const rows: { lot_id: string }[] = await manager.query(
      `SELECT lot_id FROM ${this.schema}.inspection_lots WHERE assigned_inspector_id = $1 AND status IN ('pending', 'disputed') ORDER BY lot_id`,
      [inspectorId],
    );
    for (const { lot_id } of rows) await this.reassignIn(manager, lot_id, { from: inspectorId, to: null, reason: `inspector suspended: ${reason}`, by }, metadata);
  }

  async onInspectorReinstated(inspectorId: string, manager: EntityManager): Promise<void> {
    await this.pool.suspend(inspectorId, false, manager);
  }

  private async reassignIn(
    manager: EntityManager,
    lotId: string,
    who: { from?: string; to: string | null; reason: string; by: string },
    metadata: EventMetadata,
  ): Promise<void> {
    const { state } = await this.lots.load(inspectionLotStreamId(lotId), manager);
    if (state.status === 'none') throw new NotFound('inspection_lot', lotId);
    const candidates = await this.pool.candidates(state.facts.process, manager);
    const region = await this.pool.regionOf(state.facts.workshopId, manager);
    await this.lots.handle(
      inspectionLotStreamId(lotId),
      { type: 'ReassignInspector', ...who, candidates, region, at: this.clock().toISOString(), timeoutSeconds: this.config.MESHFAB_INSPECTION_ASSIGNMENT_TIMEOUT_SECONDS },
      { manager, metadata },
    );
  }

  /**
   * Reassigns lots whose assignee's time ran out, assigns lots that wait for an eligible inspector, and makes
   * undisputed results final once their window passed. Returns how many lots it looked at.
   */
  async sweep(): Promise<number> {
    const now = this.clock();
    const closed = await this.closeDisputeWindows(now);
    const rows: { lot_id: string; order_id: string; expired: boolean }[] = await this.db.dataSource.query(
      `SELECT lot_id, order_id, assignment_due_at IS NOT NULL AS expired FROM ${this.schema}.inspection_lots
        WHERE (status IN ('pending', 'disputed') AND assigned_inspector_id IS NULL) OR assignment_due_at <= $1
        ORDER BY opened_at LIMIT 200`,
      [now.toISOString()],
    );
    for (const row of rows) {
      // One lot that cannot be assigned now (a race with its inspector's result) does not hold up the others.
      await this.assign(row.lot_id, { metadata: { correlationId: row.order_id, causationId: `assignment-sweep:${now.toISOString()}` }, expire: row.expired }).catch((error: unknown) =>
        this.log.warn(`assignment of ${row.lot_id} failed this sweep: ${String(error)}`),
      );
    }
    return closed + rows.length;
  }

  /**
   * Records the inspector's result (InspectionPassed / InspectionFailed) and, for an original
   * inspection, counts it for the workshop+process's switching rules — in one transaction.
   */
  async recordResult(lotId: string, input: ResultInput, causationId: string): Promise<InspectionLotEvent> {
    const row = await this.findLot(lotId);
    if (!row) throw new NotFound('inspection_lot', lotId);
    const metadata = { correlationId: row.order_id, causationId };
    const inspectedAt = this.clock().toISOString();
    return this.db.dataSource.transaction(async (manager) => {
      const result = await this.lots.handle(
        inspectionLotStreamId(lotId),
        {
          type: 'RecordInspectionResult',
          ...input,
          inspectedAt,
          maxReworkRounds: this.config.MESHFAB_INSPECTION_MAX_REWORK_ROUNDS,
          disputeWindowSeconds: this.config.MESHFAB_INSPECTION_DISPUTE_WINDOW_SECONDS,
        },
        { manager, metadata },
      );
      const [outcome] = result.decided;
      if (result.state.status === 'none' || !outcome) throw new Error(`recording a result on ${lotId} produced no event`);
      const { facts, plan } = result.state;
      // Switching rules count the first result of an original inspection; a re-inspection after a dispute does not count again.
      if (facts.reworkRound === 0 && outcome.type !== 'InspectionDisputeResolved') {
        const major = plan.classes.major;
        const tighterAc = major.aql === null ? undefined : acceptanceNumberOneStepTighter(this.tables, Math.max(2, plan.lotSize), plan.level, Number(major.aql));
        await this.switching.handle(
          switchingStreamId(facts.workshopId, facts.process),
          {
            type: 'CountLotForSwitching',
            workshopId: facts.workshopId,
            process: facts.process,
            inspectionLotId: lotId,
            accepted: outcome.type === 'InspectionPassed',
            acceptanceNumber: major.ac,
            // Open question of the README settled here: d is compared with the tighter plan's Ac even when
            // that plan's n differs (the count from the sample actually inspected).
            acceptedOneStepTighter: tighterAc !== undefined && input.defects.major <= tighterAc,
            reducedInspectionApproved: this.config.MESHFAB_INSPECTION_REDUCED_APPROVED,
            at: inspectedAt,
          },
          { manager, metadata: { correlationId: metadata.correlationId, causationId: result.newEvents[0]?.eventId ?? causationId } },
        );
      }
      return outcome;
    });
  }

  /**
   * The brand or the workshop disputes the lot's result; in the same transaction another inspector (never the
   * original one, never one tied to either party) is assigned to re-inspect.
   */
  async dispute(lotId: string, input: DisputeInput, causationId: string): Promise<InspectionLotEvent> {
    const row = await this.findLot(lotId);
    if (!row) throw new NotFound('inspection_lot', lotId);
    const metadata = { correlationId: row.order_id, causationId };
    return this.db.dataSource.transaction(async (manager) => {
      const result = await this.lots.handle(inspectionLotStreamId(lotId), { type: 'DisputeInspectionResult', ...input, at: this.clock().toISOString() }, { manager, metadata });
      const [disputed] = result.decided;
      if (!disputed) throw new Error(`disputing ${lotId} produced no event`);
      await this.assign(lotId, { manager, metadata: { correlationId: row.order_id, causationId: result.newEvents[0]?.eventId ?? causationId }, expire: false });
      return disputed;
    });
  }

  /** Results whose dispute window passed undisputed become final (InspectionResultFinal). */
  async closeDisputeWindows(now: Date): Promise<number> {
    const rows: { lot_id: string; order_id: string }[] = await this.db.dataSource.query(
      `SELECT lot_id, order_id FROM ${this.schema}.inspection_lots
        WHERE status IN ('passed', 'failed') AND NOT final AND dispute_window_ends_at <= $1 ORDER BY dispute_window_ends_at LIMIT 500`,
      [now.toISOString()],
    );
    for (const row of rows) {
      await this.lots
        .handle(inspectionLotStreamId(row.lot_id), { type: 'CloseDisputeWindow', at: now.toISOString() }, { metadata: { correlationId: row.order_id, causationId: `dispute-window-sweep:${now.toISOString()}` } })
        .catch((error: unknown) => this.log.warn(`closing the dispute window of ${row.lot_id} failed this sweep: ${String(error)}`));
    }
    return rows.length;
  }

  /**
   * Stores an evidence file (content-hashed) and attaches it to the lot in one transaction: by the lot's assigned
   * inspector, or by its brand or workshop. The same bytes again are the same file.
   */
  async attachEvidence(
    lotId: string,
    upload: { role: 'inspector' | 'brand' | 'workshop'; by: string; content: Buffer; contentType: string; fileName: string; kind: string },
    causationId: string,
  ): Promise<EvidenceFileMeta> {
    const row = await this.findLot(lotId);
    if (!row) throw new NotFound('inspection_lot', lotId);
    const at = this.clock().toISOString();
    return this.db.dataSource.transaction(async (manager) => {
      const { file } = await this.evidence.put(
        { inspectionLotId: lotId, content: upload.content, contentType: upload.contentType, fileName: upload.fileName, kind: upload.kind, uploadedBy: upload.by, uploadedAt: at },
        manager,
      );
      await this.lots.handle(
        inspectionLotStreamId(lotId),
        {
          type: 'AttachEvidenceFile',
          role: upload.role,
          by: upload.by,
          fileId: file.fileId,
          sha256: file.sha256,
          sizeBytes: file.sizeBytes,
          contentType: file.contentType,
          fileName: file.fileName,
          kind: file.kind,
          at,
        },
        { manager, metadata: { correlationId: row.order_id, causationId } },
      );
      return file;
    });
  }

  evidenceFiles(lotId: string): Promise<EvidenceFileMeta[]> {
    return this.evidence.list(lotId, this.db.dataSource.manager);
  }

  evidenceFile(lotId: string, fileId: string) {
    return this.evidence.get(lotId, fileId, this.db.dataSource.manager);
  }

  async reinstate(workshopId: string, process: string, by: string, reason: string): Promise<void> {
    await this.switching.handle(
      switchingStreamId(workshopId, process),
      { type: 'ReinstateInspection', workshopId, process, by, reason, at: this.clock().toISOString() },
      { metadata: { correlationId: `reinstate:${workshopId}:${process}`, causationId: `operator:${by}` } },
    );
  }

  async findLot(lotId: string): Promise<LotRow | undefined> {
    const rows: LotRow[] = await this.db.dataSource.query(`SELECT * FROM ${this.schema}.inspection_lots WHERE lot_id = $1`, [lotId]);
    return rows[0];
  }

  async listLots(filter: LotFilter): Promise<(LotRow & { sort_at: string })[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (column: string, value: string | undefined) => {
      if (value === undefined) return;
      params.push(value);
      where.push(`${column} = $${params.length}`);
    };
    add('status', filter.status);
    add('workshop_id', filter.workshopId);
    add('brand_id', filter.brandId);
    add('order_id', filter.orderId);
    add('subtask_id', filter.subtaskId);
    if (filter.visibleTo !== undefined) {
      params.push(filter.visibleTo);
      where.push(`$${params.length} = ANY(visible_to)`);
    }
    if (filter.after) {
      params.push(filter.after[0], filter.after[1]);
      where.push(`(opened_at, lot_id) > ($${params.length - 1}::timestamptz, $${params.length})`);
    }
    params.push(filter.limit);
    return this.db.dataSource.query(
      `SELECT *, opened_at::text AS sort_at FROM ${this.schema}.inspection_lots ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY opened_at, lot_id LIMIT $${params.length}`,
      params,
    );
  }

  async severities(workshopId: string): Promise<{ workshop_id: string; process: string; severity: string; switching_score: number; lots_counted: number; last_reason: string | null; changed_at: Date | null }[]> {
    return this.db.dataSource.query(`SELECT * FROM ${this.schema}.workshop_severity WHERE workshop_id = $1 ORDER BY process`, [workshopId]);
  }
}
