import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { NotFound, ValidationFailed } from '#libs/domain';
import { CurrentPrincipal, decodeCursor, pageLimit, Roles, toCursorPage, type Principal } from '#libs/platform';
import { InspectionLotsService, type LotFilter, type LotRow } from './inspection-lots.service.js';
import { InspectionDisputedDto, InspectionLotPageDto, InspectionLotTraceDto, InspectionLotViewDto, InspectionOutcomeDto } from './inspection-lot-view.dto.js';
import { DisputeResultDto, ReassignLotDto, RecordResultDto } from './record-result.dto.js';

const STATUSES = ['pending', 'passed', 'failed', 'disputed'];

export function lotView(row: LotRow) {
  return {
    id: row.lot_id,
    subtaskId: row.subtask_id,
    orderId: row.order_id,
    brandId: row.brand_id,
    stepId: row.step_id,
    process: row.process,
    workshopId: row.workshop_id,
    reworkRound: row.rework_round,
    lotSize: row.lot_size,
    scrapQuantity: row.scrap_quantity,
    sampleSize: row.sample_size,
    severity: row.severity,
    status: row.status,
    plan: row.plan,
    completedAt: row.completed_at.toISOString(),
    openedAt: row.opened_at.toISOString(),
    inspectedAt: row.inspected_at?.toISOString() ?? null,
    inspectedBy: row.inspector_id,
    assignedInspectorId: row.assigned_inspector_id,
    assignmentDueAt: row.assignment_due_at?.toISOString() ?? null,
    disposition: row.disposition,
    result: row.result ?? null,
    disputeWindowEndsAt: row.dispute_window_ends_at?.toISOString() ?? null,
    final: row.final,
    dispute: row.dispute ?? null,
  };
}

/** Who sees a lot: an operator; its workshop; its order's brand; an inspector it was given to (and not taken back). Others: 404. */
export function canSee(principal: Principal, row: LotRow): boolean {
  switch (principal.role) {
    case 'operator':
      return true;
    case 'inspector':
      return row.visible_to.includes(principal.sub);
    case 'brand':
      return row.brand_id === principal.sub;
    case 'workshop':
      return row.workshop_id === principal.sub;
    case 'service':
      return false;
  }
}

function assertCanSee(principal: Principal, row: LotRow): void {
  if (!canSee(principal, row)) throw new NotFound('inspection_lot', row.lot_id);
}

@Controller('inspection/lots')
export class InspectionLotsController {
  constructor(@Inject(InspectionLotsService) private readonly lots: InspectionLotsService) {}

  /** Lists inspection lots, oldest first, a page at a time (`limit` 1-1000, default 100; `cursor`). Operators see every lot (e.g. `?status=pending`); an inspector those assigned to it; a workshop its own; a brand its orders'. */
  @Get()
  @Roles('inspector', 'operator', 'workshop', 'brand')
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query('status') status?: string,
    @Query('workshopId') workshopId?: string,
    @Query('orderId') orderId?: string,
    @Query('subtaskId') subtaskId?: string,
    @Query('limit') limit?: string,
    @Query('cursor') cursor?: string,
  ): Promise<InspectionLotPageDto> {
    if (status !== undefined && !STATUSES.includes(status)) throw new ValidationFailed('status', `must be one of ${STATUSES.join(', ')}`);
    const max = pageLimit(limit, 1000);
    const filter: LotFilter = { status, workshopId, orderId, subtaskId, limit: max + 1, after: decodeCursor(cursor, ['timestamp', 'id']) };
    if (principal.role === 'workshop') filter.workshopId = principal.sub;
    if (principal.role === 'brand') filter.brandId = principal.sub;
    if (principal.role === 'inspector') filter.visibleTo = principal.sub;
    return toCursorPage(await this.lots.listLots(filter), max, (r) => [r.sort_at, r.lot_id], lotView);
  }

  /** One lot: inspectors and operators, its workshop or its order's brand. */
  @Get(':id')
  @Roles('inspector', 'operator', 'workshop', 'brand')
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<InspectionLotViewDto> {
    const row = await this.lots.findLot(id);
    if (!row) throw new NotFound('inspection_lot', id);
    assertCanSee(principal, row);
    return lotView(row);
  }

  /**
   * The lot's traceability: its plan and result with who inspected it, every inspection of the same
   * subtask (rework rounds), and the other inspected lots of the same order. Upstream steps of the route
   * DAG are not known here (inspection does not consume orders' routes) and are listed by order.
   */
  @Get(':id/trace')
  @Roles('inspector', 'operator', 'workshop', 'brand')
  async trace(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<InspectionLotTraceDto> {
    const row = await this.lots.findLot(id);
    if (!row) throw new NotFound('inspection_lot', id);
    assertCanSee(principal, row);
    const history = await this.lots.listLots({ subtaskId: row.subtask_id, limit: 1000 });
    const sameOrder = principal.role === 'workshop' ? [] : await this.lots.listLots({ orderId: row.order_id, limit: 1000 });
    return {
      lot: lotView(row),
      inspectionsOfThisSubtask: history.filter((r) => canSee(principal, r)).map(lotView),
      otherLotsOfTheOrder: sameOrder.filter((r) => r.subtask_id !== row.subtask_id && canSee(principal, r)).map(lotView),
    };
  }

  /**
   * Records the inspection result of a lot: the sample's defects decide pass or fail (fail sends it to rework).
   * Only the lot's assigned inspector; anyone else (another inspector, one whose assignment timed out) gets the 404 of a missing lot.
   */
  @Post([':id/results', ':id/result'])
  @HttpCode(201)
  @Roles('inspector')
  async record(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: RecordResultDto): Promise<InspectionOutcomeDto> {
    const outcome = await this.lots.recordResult(
      id,
      {
        inspectorId: principal.sub,
        sampled: body.sampled,
        defects: { critical: body.defects.critical, major: body.defects.major, minor: body.defects.minor },
        rejectedUnits: body.rejectedUnits ?? 0,
        evidence: (body.evidence ?? []).map((e) => ({ kind: e.kind, ref: e.ref, ...(e.note === undefined ? {} : { note: e.note }) })),
        measurements: (body.measurements ?? []).map((m) => ({ sample: m.sample, characteristic: m.characteristic, value: m.value, unit: m.unit })),
        fileIds: body.fileIds ?? [],
        ...(body.notes === undefined ? {} : { notes: body.notes }),
      },
      `http:${principal.tokenId || randomUUID()}`,
    );
    return { type: outcome.type, ...outcome.data };
  }

  /**
   * The lot's brand or workshop disputes its result within the window (422 `dispute_window_closed` after it,
   * 409 `lot_already_disputed` the second time); another inspector is assigned to re-inspect, and that outcome is final.
   */
  @Post(':id/disputes')
  @HttpCode(201)
  @Roles('brand', 'workshop')
  async dispute(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: DisputeResultDto): Promise<InspectionDisputedDto> {
    const row = await this.lots.findLot(id);
    if (!row || !canSee(principal, row)) throw new NotFound('inspection_lot', id);
    const disputed = await this.lots.dispute(
      id,
      {
        party: principal.role === 'brand' ? 'brand' : 'workshop',
        by: principal.sub,
        reason: body.reason,
        evidence: (body.evidence ?? []).map((e) => ({ kind: e.kind, ref: e.ref, ...(e.note === undefined ? {} : { note: e.note }) })),
        fileIds: body.fileIds ?? [],
      },
      `http:${principal.tokenId || randomUUID()}`,
    );
    const lot = await this.lots.findLot(id);
    return { type: disputed.type, ...disputed.data, reinspectorId: lot?.assigned_inspector_id ?? null };
  }

  /**
   * An operator takes the lot from its assignee (or gives a waiting lot) to the inspector it names, who must be
   * eligible like any assignee (certified, in the region, tied to neither party, not suspended, not the original
   * inspector of a disputed result): else 409 `inspector_not_eligible` with the reason. Recorded with the operator.
   */
  @Post(':id/reassign')
  @HttpCode(200)
  @Roles('operator')
  async reassign(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: ReassignLotDto): Promise<InspectionLotViewDto> {
    return lotView(await this.lots.reassign(id, { to: body.inspectorId, reason: body.reason, by: principal.sub }));
  }
}
