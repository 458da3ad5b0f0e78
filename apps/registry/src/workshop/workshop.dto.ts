import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsDefined,
  IsIn,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { IsPlainText, LocationDto, MoneyDto } from '#libs/contracts';
import { CursorPageQueryDto } from '#libs/platform';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_MESSAGE = '$property must be a date written YYYY-MM-DD';

/** A location as members send it: region and city are names, so free of control and bidi-override characters. */
export class LocationInputDto extends LocationDto {
  @IsOptional() @IsString() @Length(1, 100) @IsPlainText() declare region?: string;
  @IsOptional() @IsString() @Length(1, 100) @IsPlainText() declare city?: string;
}

export class CapabilityInputDto {
  /** An id of the process catalogue (`sewing`, `cnc-milling`, …); unknown ids get a 400 with close matches. */
  @IsString() @Length(1, 60) process!: string;
  /** Materials, max part size, tolerance, machine type… as the process needs. */
  @IsOptional() @IsObject() parameters?: Record<string, unknown>;
  /** Shop hours per hour of reference work content (1.0 = as fast as the route assumes; 1.25 = 25 % slower). */
  @IsNumber() @Min(0.01) @Max(100) efficiency!: number;
  @IsIn(['per_unit', 'per_hour']) pricing!: 'per_unit' | 'per_hour';
  /** Per unit, or per machine-hour, in minor units. */
  @IsDefined() @ValidateNested() @Type(() => MoneyDto) price!: MoneyDto;
}

export class RegisterWorkshopDto {
  @IsString() @Length(1, 200) @IsPlainText() name!: string;
  @IsDefined() @ValidateNested() @Type(() => LocationInputDto) location!: LocationInputDto;
  @IsOptional() @IsArray() @ArrayMaxSize(50) @IsString({ each: true }) @IsPlainText({ each: true }) certifications?: string[];
  @IsOptional() @IsArray() @ArrayMaxSize(100) @ValidateNested({ each: true }) @Type(() => CapabilityInputDto) capabilities?: CapabilityInputDto[];
}

/** The field may be left out, but not sent as null (`@IsOptional` lets null through to the handler). */
const omittable = () => ValidateIf((_: unknown, value: unknown) => value !== undefined);

export class UpdateWorkshopProfileDto {
  @omittable() @IsString() @Length(1, 200) @IsPlainText() name?: string;
  @omittable() @IsObject() @ValidateNested() @Type(() => LocationInputDto) location?: LocationInputDto;
  @omittable() @IsArray() @ArrayMaxSize(50) @IsString({ each: true }) @IsPlainText({ each: true }) certifications?: string[];
}

export class SetCapabilitiesDto {
  @IsArray() @ArrayMaxSize(100) @ValidateNested({ each: true }) @Type(() => CapabilityInputDto) capabilities!: CapabilityInputDto[];
}

export class CapacityExceptionInputDto {
  @Matches(DATE, { message: DATE_MESSAGE }) date!: string;
  /** Hours shared that day instead of the usual: 0 = closed, more = an extra shift. */
  @IsNumber() @Min(0) @Max(24) hours!: number;
}

/** `declare`: share `hoursPerDay` of `process` from `from` (until `until`, or further notice), with exceptions.
 * `withdraw`: stop sharing `process` from `from` to `until`. */
export class CapacityChangeDto {
  @IsIn(['declare', 'withdraw']) action!: 'declare' | 'withdraw';
  @IsString() @Length(1, 60) process!: string;
  @ValidateIf((o: CapacityChangeDto) => o.action === 'declare') @IsNumber() @Min(0) @Max(24) hoursPerDay?: number;
  @Matches(DATE, { message: DATE_MESSAGE }) from!: string;
  @ValidateIf((o: CapacityChangeDto) => o.action === 'withdraw' || o.until !== undefined) @Matches(DATE, { message: DATE_MESSAGE }) until?: string;
  @IsOptional() @IsArray() @ArrayMaxSize(366) @ValidateNested({ each: true }) @Type(() => CapacityExceptionInputDto) exceptions?: CapacityExceptionInputDto[];
}

export class ReasonDto {
  @IsString() @Length(1, 500) reason!: string;
}

export class SearchWorkshopsQuery extends CursorPageQueryDto {
  @IsOptional() @IsString() process?: string;
  @IsOptional() @IsString() region?: string;
  @IsOptional() @IsString() certification?: string;
  @IsOptional() @Matches(DATE, { message: DATE_MESSAGE }) freeHoursFrom?: string;
  @IsOptional() @Matches(DATE, { message: DATE_MESSAGE }) freeHoursTo?: string;
  /** Total shared hours of `process` over freeHoursFrom..freeHoursTo (both included). */
  @IsOptional() @Type(() => Number) @IsNumber() @Min(0) minFreeHours?: number;
}
