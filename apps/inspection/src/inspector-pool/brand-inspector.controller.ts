import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Put } from '@nestjs/common';
import { CommandHandler, ServiceDatabase } from '#libs/eventsourcing';
import { assertOwnership, CurrentPrincipal, Roles, type Principal } from '#libs/platform';
import { INSPECTION_CLOCK } from '../config.js';
import { brandInspectorDecider, brandInspectorStreamId, type BrandInspectorEvent, type BrandInspectorState, type NameBrandInspector } from './domain/brand-inspector.decider.js';
import { brandInspectorsProjection } from './brand-inspectors.projection.js';
import { BrandInspectorDto, NameBrandInspectorDto } from './brand-inspector.dto.js';
import { InspectorPool } from './inspector-pool.js';

/**
 * A brand names its own inspector for its orders' lots. The nomination obeys the conflict rules: an inspector tied
 * to the brand is refused (422 `inspector_affiliated`); for a lot whose workshop it is tied to, or whose process or
 * region it is not certified for, the network assigns another (the assignment event says why).
 */
@Controller('inspection/brands/:brandId/inspector')
export class BrandInspectorController {
  private readonly nominations: CommandHandler<BrandInspectorState, NameBrandInspector, BrandInspectorEvent>;

  constructor(
    @Inject(ServiceDatabase) db: ServiceDatabase,
    @Inject(InspectorPool) private readonly pool: InspectorPool,
    @Inject(INSPECTION_CLOCK) private readonly clock: () => Date,
  ) {
    this.nominations = new CommandHandler(db.dataSource, db.store, brandInspectorDecider, { projections: [brandInspectorsProjection(db.schema)] });
  }

  /** The brand's own inspector (null when it named none). */
  @Get()
  @Roles('brand', 'operator')
  async get(@Param('brandId') brandId: string, @CurrentPrincipal() principal: Principal): Promise<BrandInspectorDto> {
    assertOwnership(principal, brandId, 'brand', brandId);
    return { brandId, inspectorId: await this.pool.nomineeOf(brandId) };
  }

  /** Names the brand's own inspector: 422 `inspector_affiliated` when tied to the brand, 404 when unknown. */
  @Put()
  @Roles('brand', 'operator')
  async name(@Param('brandId') brandId: string, @Body() body: NameBrandInspectorDto, @CurrentPrincipal() principal: Principal): Promise<BrandInspectorDto> {
    return this.decide(brandId, body.inspectorId, principal);
  }

  /** Clears the brand's own inspector: the network assigns every lot. */
  @Delete()
  @HttpCode(200)
  @Roles('brand', 'operator')
  async clear(@Param('brandId') brandId: string, @CurrentPrincipal() principal: Principal): Promise<BrandInspectorDto> {
    return this.decide(brandId, null, principal);
  }

  private async decide(brandId: string, inspectorId: string | null, principal: Principal): Promise<BrandInspectorDto> {
    assertOwnership(principal, brandId, 'brand', brandId);
    const inspectorAffiliations = inspectorId === null ? undefined : await this.pool.affiliationsOf(inspectorId);
    await this.nominations.handle(
      brandInspectorStreamId(brandId),
      { type: 'NameBrandInspector', brandId, inspectorId, inspectorAffiliations, by: principal.sub, at: this.clock().toISOString() },
      { metadata: { correlationId: brandId, causationId: `NameBrandInspector:${principal.sub}` } },
    );
    return { brandId, inspectorId };
  }
}
