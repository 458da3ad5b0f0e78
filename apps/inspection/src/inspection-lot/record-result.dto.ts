import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsDefined, IsInt, IsOptional, IsString, Length, MaxLength, Min, ValidateNested } from 'class-validator';

export class DefectCountsDto {
  @IsInt() @Min(0) critical!: number;
  @IsInt() @Min(0) major!: number;
  @IsInt() @Min(0) minor!: number;
}

/** A reference to evidence kept elsewhere: a photo id, a measurement record, a report. */
export class EvidenceDto {
  @IsString() @Length(1, 40) kind!: string;
  @IsString() @Length(1, 200) ref!: string;
  @IsOptional() @IsString() @MaxLength(500) note?: string;
}

export class RecordResultDto {
  /** Units examined; at least the plan's sample size. */
  @IsInt() @Min(1) sampled!: number;
  /** Defects found in the sample, per class. */
  @IsDefined() @ValidateNested() @Type(() => DefectCountsDto) defects!: DefectCountsDto;
  /** Nonconforming units removed from the lot (not handed on); default 0. */
  @IsOptional() @IsInt() @Min(0) rejectedUnits?: number;
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => EvidenceDto) evidence?: EvidenceDto[];
  @IsOptional() @IsString() @MaxLength(2000) notes?: string;
}

export class DisputeResultDto {
  /** Why the result is wrong, in words. */
  @IsString() @Length(3, 2000) reason!: string;
  /** Photos, measurements, reports backing the dispute. */
  @IsOptional() @IsArray() @ArrayMaxSize(50) @ValidateNested({ each: true }) @Type(() => EvidenceDto) evidence?: EvidenceDto[];
}

export class ReinstateDto {
  /** The corrective action agreed on (ISO 2859-1 9.4). */
  @IsString() @Length(3, 2000) reason!: string;
}
