import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { assertOwnership, CurrentPrincipal, Roles, type Principal } from '#libs/platform';
import { InspectionLotsService } from '../inspection-lot/inspection-lots.service.js';
import { ReinstateDto } from '../inspection-lot/record-result.dto.js';
import { WorkshopSeverityDto } from './severity.dto.js';

@Controller('inspection/workshops')
export class WorkshopSeverityController {
  constructor(@Inject(InspectionLotsService) private readonly lots: InspectionLotsService) {}

  /** The workshop's inspection severity per process (normal until a lot says otherwise). */
  @Get(':workshopId/severity')
  @Roles('workshop', 'operator')
  async severity(@CurrentPrincipal() principal: Principal, @Param('workshopId') workshopId: string): Promise<WorkshopSeverityDto> {
    assertOwnership(principal, workshopId, 'workshop', workshopId);
    const rows = await this.lots.severities(workshopId);
    return {
      workshopId,
      default: 'normal',
      processes: rows.map((r) => ({
        process: r.process,
        severity: r.severity,
        switchingScore: r.switching_score,
        lotsCounted: r.lots_counted,
        reason: r.last_reason,
        changedAt: r.changed_at?.toISOString() ?? null,
      })),
    };
  }

  /** After a discontinuation (ISO 2859-1 9.4): the operator accepts the corrective action; inspection resumes on tightened. */
  @Post(':workshopId/processes/:process/reinstate')
  @HttpCode(204)
  @Roles('operator')
  async reinstate(@CurrentPrincipal() principal: Principal, @Param('workshopId') workshopId: string, @Param('process') process: string, @Body() body: ReinstateDto) {
    await this.lots.reinstate(workshopId, process, principal.sub, body.reason);
  }
}
