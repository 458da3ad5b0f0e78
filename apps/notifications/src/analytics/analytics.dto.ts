import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Whose figures: an operator sees the whole network or names one brand or workshop; a brand or a workshop sees its own. */
export class AnalyticsScopeQueryDto {
  /** Operators only (a brand may name itself): the figures of one brand. */
  @IsOptional() @IsString() @MaxLength(200) brandId?: string;
  /** Operators only (a workshop may name itself): the figures of one workshop. */
  @IsOptional() @IsString() @MaxLength(200) workshopId?: string;
}

export class UtilisationQueryDto extends AnalyticsScopeQueryDto {
  /** First day (YYYY-MM-DD, UTC); default the first day a booked lot of the scope is planned on. */
  @IsOptional() @Matches(DATE) from?: string;
  /** Last day (YYYY-MM-DD, UTC, at most 366 days after `from`); default the last planned day of a booked lot. */
  @IsOptional() @Matches(DATE) to?: string;
}

export class AnalyticsScopeDto {
  /** `network` (an operator's whole view), `brand` or `workshop`. */
  kind!: 'network' | 'brand' | 'workshop';
  /** The brand or workshop, or null for the network. */
  memberId!: string | null;
}

export class OrderStatusCountDto {
  /** submitted (open), completed, cancelled or failed. */
  status!: string;
  count!: number;
}

export class AtRiskOrderDto {
  orderId!: string;
  brandId!: string;
  /** Why a lot of it was flagged at risk (its pace misses the planned end). */
  reason!: string;
}

export class OrderFiguresDto {
  submitted!: number;
  completed!: number;
  /** Completed orders closed by their due date. */
  completedOnTime!: number;
  /** completedOnTime / completed (0..1), or null before any order completed. */
  onTimeRate!: number | null;
  byStatus!: OrderStatusCountDto[];
  /** Open orders with a lot flagged at risk. */
  atRisk!: AtRiskOrderDto[];
}

export class LeadTimeDto {
  /** Completed orders measured. */
  orders!: number;
  /** Hours from submission to completion: median, or null without completed orders. */
  p50Hours!: number | null;
  /** Hours from submission to completion: 90th percentile (linear interpolation). */
  p90Hours!: number | null;
}

export class DefectRowDto {
  /** The process, or the workshop id (per-workshop rows). */
  key!: string;
  /** Inspection lots with an outcome (the latest, after a dispute). */
  inspections!: number;
  failed!: number;
  /** failed / inspections (0..1). */
  failRate!: number;
  /** Units examined. */
  sampled!: number;
  /** Defects found in those units (critical, major and minor). */
  defects!: number;
  /** defects / sampled (0..1), or null when nothing was sampled. */
  defectRate!: number | null;
}

export class MoneyFlowsDto {
  currency!: string;
  /** Credited to brands' funds (confirmed payments). */
  depositedMinor!: number;
  /** Moved from brands' funds into orders' escrow. */
  escrowedMinor!: number;
  /** Escrow given back to brands. */
  refundedMinor!: number;
  /** Escrow released for passed lots (gross). */
  releasedMinor!: number;
  platformFeesMinor!: number;
  penaltiesMinor!: number;
  /** Net to workshops (released − fees − penalties). */
  paidToWorkshopsMinor!: number;
}

/** The on-time rate, lead times, defect rates and money flows of the scope, from the analytics read models. */
export class AnalyticsFiguresDto {
  scope!: AnalyticsScopeDto;
  orders!: OrderFiguresDto;
  leadTime!: LeadTimeDto;
  defectsByProcess!: DefectRowDto[];
  defectsByWorkshop!: DefectRowDto[];
  money!: MoneyFlowsDto[];
}

export class UtilisationRowDto {
  /** The workshops' region (`unknown` when a workshop named none). */
  region!: string;
  process!: string;
  /** Monday of the ISO week (YYYY-MM-DD). */
  week!: string;
  /** Workshops sharing capacity for the process in the region that week (null for a brand's view). */
  workshops!: number | null;
  /** Hours shared (null for a brand's view: capacity is the workshops'). */
  capacityHours!: number | null;
  /** Hours booked by accepted lots (quantity × the step's work content × the workshop's efficiency, spread over the planned days). */
  bookedHours!: number;
  /** bookedHours / capacityHours (0..), or null without capacity. */
  utilisation!: number | null;
}

/** Utilisation by region × process × week over `from`..`to`. */
export class UtilisationDto {
  scope!: AnalyticsScopeDto;
  from!: string;
  to!: string;
  rows!: UtilisationRowDto[];
}

export class ScheduledLotDto {
  subtaskId!: string;
  orderId!: string;
  brandId!: string;
  workshopId!: string;
  stepId!: string;
  process!: string;
  quantity!: number;
  /** accepted, started or completed. */
  status!: string;
  plannedStart!: string | null;
  plannedEnd!: string | null;
}

/** The booked lots of the scope by planned start (at most 500): a workshop's schedule, a brand's lots across workshops. */
export class ScheduleDto {
  scope!: AnalyticsScopeDto;
  items!: ScheduledLotDto[];
}
