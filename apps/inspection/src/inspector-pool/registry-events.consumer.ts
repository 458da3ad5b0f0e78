import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type {
  EventEnvelope,
  InspectorProfileUpdatedContract,
  InspectorRegisteredContract,
  WorkshopProfileUpdatedContract,
  WorkshopRegisteredContract,
} from '#libs/contracts';
import { EventContext, OnEvent } from '#libs/messaging';
import { InspectorPool } from './inspector-pool.js';

/** The registry's inspectors and workshops' regions → inspection's own read model (it never reads the registry's tables). */
@Controller()
export class RegistryEventsConsumer {
  constructor(@Inject(InspectorPool) private readonly pool: InspectorPool) {}

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
