import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type {
  EventEnvelope,
  InspectorProfileUpdatedContract,
  InspectorRegisteredContract,
  MemberReinstatedContract,
  MemberSuspendedContract,
  WorkshopProfileUpdatedContract,
  WorkshopRegisteredContract,
} from '#libs/contracts';
import { EventContext, OnEvent } from '#libs/messaging';
import { InspectionLotsService } from '../inspection-lot/inspection-lots.service.js';
import { InspectorPool } from './inspector-pool.js';

/** The registry's inspectors and workshops' regions → inspection's own read model (it never reads the registry's tables). */
@Controller()
export class RegistryEventsConsumer {
  constructor(
    @Inject(InspectorPool) private readonly pool: InspectorPool,
    @Inject(InspectionLotsService) private readonly lots: InspectionLotsService,
  ) {}

  /** A suspended inspector's lots go to others; it gets none until reinstated (its results are refused by the AuthGuard meanwhile). */
  @OnEvent('inspection', 'MemberSuspended')
  async onMemberSuspended(@Payload() event: EventEnvelope<MemberSuspendedContract>, @Ctx() ctx: EventContext): Promise<void> {
    const d = event.data;
    if (d.role === 'inspector') await this.lots.onInspectorSuspended(d.memberId, d.reason, d.suspendedBy, ctx.manager, ctx.metadata);
  }

  @OnEvent('inspection', 'MemberReinstated')
  async onMemberReinstated(@Payload() event: EventEnvelope<MemberReinstatedContract>, @Ctx() ctx: EventContext): Promise<void> {
    if (event.data.role === 'inspector') await this.lots.onInspectorReinstated(event.data.memberId, ctx.manager);
  }

  @OnEvent('inspection', 'InspectorRegistered')
  async onInspectorRegistered(@Payload() event: EventEnvelope<InspectorRegisteredContract>, @Ctx() ctx: EventContext): Promise<void> {
    const d = event.data;
    await this.pool.declare({ inspectorId: d.inspectorId, processes: d.processes ?? [], regions: d.regions ?? [], affiliations: d.affiliations ?? [], at: event.occurredAt }, ctx.manager);
  }

  @OnEvent('inspection', 'InspectorProfileUpdated')
  async onInspectorProfileUpdated(@Payload() event: EventEnvelope<InspectorProfileUpdatedContract>, @Ctx() ctx: EventContext): Promise<void> {
    const d = event.data;
    await this.pool.declare({ inspectorId: d.inspectorId, processes: d.processes, regions: d.regions, affiliations: d.affiliations, at: d.updatedAt }, ctx.manager);
  }

  @OnEvent('inspection', 'WorkshopRegistered')
  async onWorkshopRegistered(@Payload() event: EventEnvelope<WorkshopRegisteredContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.pool.workshopRegion(event.data.workshopId, event.data.location.region, ctx.manager);
  }

  @OnEvent('inspection', 'WorkshopProfileUpdated')
  async onWorkshopProfileUpdated(@Payload() event: EventEnvelope<WorkshopProfileUpdatedContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.pool.workshopRegion(event.data.workshopId, event.data.location.region, ctx.manager);
  }
}
