import { Body, Controller, Get, Headers, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { AllowWhileSuspended, CurrentPrincipal, Roles, type Principal } from '#libs/platform';
import { RegistrationDto } from '../member/member.dto.js';
import { MemberCredentials } from '../member/member-credentials.js';
import { assertMayChange } from '../member/ownership.js';
import { RegistryStreams, workshopStream } from '../registry.context.js';
import type { WorkshopCommand } from './domain/workshop.commands.js';
import type { Capability } from './domain/workshop.events.js';
import { CapabilityInputDto, CapacityChangeDto, ReasonDto, RegisterWorkshopDto, SearchWorkshopsQuery, SetCapabilitiesDto, UpdateWorkshopProfileDto } from './workshop.dto.js';
import { WorkshopSearchPageDto, WorkshopViewDto } from './workshop-view.dto.js';
import { WorkshopQueries } from './workshop-queries.js';

const toCapability = (c: CapabilityInputDto): Capability => ({
  process: c.process,
  parameters: c.parameters ?? {},
  efficiency: c.efficiency,
  pricing: c.pricing,
  price: { amountMinor: c.price.amountMinor, currency: c.price.currency },
});

@Controller('registry/workshops')
export class WorkshopsController {
  constructor(
    private readonly streams: RegistryStreams,
    private readonly credentials: MemberCredentials,
    private readonly queries: WorkshopQueries,
  ) {}

  /** Operator registers a workshop; 201 `{ id, token }`. With `Idempotency-Key` a retry gets the same answer. */
  @Post()
  @Roles('operator')
  @HttpCode(201)
  async register(@Body() body: RegisterWorkshopDto, @CurrentPrincipal() principal: Principal, @Headers('idempotency-key') key?: string): Promise<RegistrationDto> {
    return this.credentials.register('workshop', principal, body, key, ({ memberId, grant, at, metadata, manager }) =>
      this.streams.workshops.handle(
        workshopStream(memberId),
        {
          type: 'RegisterWorkshop',
          workshopId: memberId,
          name: body.name,
          location: { ...body.location },
          certifications: body.certifications ?? [],
          capabilities: (body.capabilities ?? []).map(toCapability),
          token: grant,
          at,
        },
        { metadata, manager },
      ),
    );
  }

  /** Searches active workshops by process, region, certification and free capacity; public profiles, a page at a time (`page`, with `total`). */
  @Get()
  search(@Query() query: SearchWorkshopsQuery): Promise<WorkshopSearchPageDto> {
    return this.queries.search(query);
  }

  /** One workshop: its public profile, or everything (location, capacity, quality record) for the workshop itself and operators. */
  @Get(':id')
  get(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<WorkshopViewDto> {
    return this.queries.workshop(id, principal);
  }

  /** Updates the workshop's profile (name, location, certifications). */
  @Patch(':id')
  @Roles('operator', 'workshop')
  async update(@Param('id') id: string, @Body() body: UpdateWorkshopProfileDto, @CurrentPrincipal() principal: Principal): Promise<WorkshopViewDto> {
    return this.change(id, principal, { type: 'UpdateWorkshopProfile', workshopId: id, ...body, ...(body.location ? { location: { ...body.location } } : {}), at: this.streams.now() });
  }

  /** Replaces the workshop's capabilities: processes, parameters, efficiency and prices. */
  @Put(':id/capabilities')
  @Roles('operator', 'workshop')
  async setCapabilities(@Param('id') id: string, @Body() body: SetCapabilitiesDto, @CurrentPrincipal() principal: Principal): Promise<WorkshopViewDto> {
    return this.change(id, principal, { type: 'SetCapabilities', workshopId: id, capabilities: body.capabilities.map(toCapability), at: this.streams.now() });
  }

  /** Share (`declare`) or stop sharing (`withdraw`) capacity of a process. */
  @Post(':id/capacity')
  @Roles('operator', 'workshop')
  @HttpCode(200)
  async capacity(@Param('id') id: string, @Body() body: CapacityChangeDto, @CurrentPrincipal() principal: Principal): Promise<WorkshopViewDto> {
    const at = this.streams.now();
    const command: WorkshopCommand =
      body.action === 'declare'
        ? {
            type: 'DeclareCapacity',
            workshopId: id,
            process: body.process,
            hoursPerDay: body.hoursPerDay ?? 0,
            from: body.from,
            ...(body.until !== undefined ? { until: body.until } : {}),
            exceptions: (body.exceptions ?? []).map((e) => ({ date: e.date, hours: e.hours })),
            at,
          }
        : { type: 'WithdrawCapacity', workshopId: id, process: body.process, from: body.from, until: body.until ?? body.from, at };
    return this.change(id, principal, command);
  }

  /** Suspends a workshop: it gets no new offers until reinstated. */
  @Post(':id/suspend')
  @Roles('operator')
  @HttpCode(200)
  async suspend(@Param('id') id: string, @Body() body: ReasonDto, @CurrentPrincipal() principal: Principal): Promise<WorkshopViewDto> {
    return this.change(id, principal, { type: 'SuspendWorkshop', workshopId: id, reason: body.reason, by: principal.sub, at: this.streams.now() });
  }

  /** Reinstates a suspended workshop. */
  @Post(':id/reinstate')
  @Roles('operator')
  @HttpCode(200)
  async reinstate(@Param('id') id: string, @Body() body: ReasonDto, @CurrentPrincipal() principal: Principal): Promise<WorkshopViewDto> {
    return this.change(id, principal, { type: 'ReinstateWorkshop', workshopId: id, reason: body.reason, by: principal.sub, at: this.streams.now() });
  }

  /** The suspended workshop appeals (`{ reason }`): the one write its tokens may make while suspended; recorded for the operators. */
  @Post(':id/appeal')
  @Roles('workshop')
  @AllowWhileSuspended()
  @HttpCode(200)
  async appeal(@Param('id') id: string, @Body() body: ReasonDto, @CurrentPrincipal() principal: Principal): Promise<WorkshopViewDto> {
    return this.change(id, principal, { type: 'AppealSuspension', workshopId: id, reason: body.reason, at: this.streams.now() });
  }

  private async change(id: string, principal: Principal, command: WorkshopCommand): Promise<WorkshopViewDto> {
    assertMayChange(principal, id, 'workshop');
    await this.streams.workshops.handle(workshopStream(id), command, { metadata: { correlationId: id, causationId: `${command.type}:${principal.sub}` } });
    return this.queries.workshop(id, principal);
  }
}
