import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { NotFound, ValidationFailed } from '#libs/domain';
import { assertOwnership, CurrentPrincipal, decodeCursor, pageLimit, Roles, toCursorPage, type Principal } from '#libs/platform';
import { InspectionLotsService, type LotFilter, type LotRow } from './inspection-lots.service.js';
import { InspectionLotPageDto, InspectionLotTraceDto, InspectionLotViewDto, InspectionOutcomeDto } from './inspection-lot-view.dto.js';
import { RecordResultDto } from './record-result.dto.js';

const STATUSES = ['pending', 'passed', 'failed'];

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
    disposition: row.disposition,
    result: row.result ?? null,
  };
}

/** Who owns a lot for `assertOwnership`: its workshop, or its order's brand. */
function assertCanSee(principal: Principal, row: LotRow): void {
  if (principal.role === 'inspector' || principal.role === 'operator') return;
  assertOwnership(principal, principal.role === 'brand' ? row.brand_id : row.workshop_id, 'inspection_lot', row.lot_id);
}

@Controller('inspection/lots')
export class InspectionLotsController {
  constructor(@Inject(InspectionLotsService) private readonly lots: InspectionLotsService) {}

  /** Lists inspection lots, oldest first, a page at a time (`limit` 1-1000, default 100; `cursor`). Inspectors and operators see every lot (e.g. `?status=pending`); a workshop its own; a brand its orders'. */
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
      inspectionsOfThisSubtask: history.map(lotView),
      otherLotsOfTheOrder: sameOrder.filter((r) => r.subtask_id !== row.subtask_id).map(lotView),
    };
  }

  /** Records the inspection result of a lot: the sample's defects decide pass or fail (fail sends it to rework). */
  @Post([':id/results', ':id/result'])
  @HttpCode(201)
  @Roles('inspector', 'operator')
  async record(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: RecordResultDto): Promise<InspectionOutcomeDto> {
    const outcome = await this.lots.recordResult(
      id,
      {
        inspectorId: principal.sub,
        sampled: body.sampled,
        defects: { critical: body.defects.critical, major: body.defects.major, minor: body.defects.minor },
        rejectedUnits: body.rejectedUnits ?? 0,
        evidence: (body.evidence ?? []).map((e) => ({ kind: e.kind, ref: e.ref, ...(e.note === undefined ? {} : { note: e.note }) })),
        ...(body.notes === undefined ? {} : { notes: body.notes }),
      },
      `http:${principal.tokenId || randomUUID()}`,
    );
    return { type: outcome.type, ...outcome.data };
  }
}
