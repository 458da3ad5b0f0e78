import { Controller, Get, Inject, Query } from '@nestjs/common';
import { Roles } from '#libs/platform';
import { CapacityQuery, CapacityViewDto } from './capacity.dto.js';
import { CapacityViewQuery } from './capacity.query.js';

@Controller('matching')
export class CapacityController {
  constructor(@Inject(CapacityViewQuery) private readonly view: CapacityViewQuery) {}

  /** The network's free and booked hours ahead per day or ISO week, for a region and a process; no workshop or brand named. */
  @Get('capacity')
  @Roles('brand', 'workshop', 'operator')
  capacity(@Query() query: CapacityQuery): Promise<CapacityViewDto> {
    return this.view.get(query);
  }
}
