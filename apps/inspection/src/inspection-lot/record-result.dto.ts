import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBase64, IsDefined, IsIn, IsInt, IsNumber, IsOptional, IsString, Length, Matches, MaxLength, Min, ValidateNested } from 'class-validator';

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

/** One measured value of one sampled unit. */
export class MeasurementDto {
  /** Which unit of the sample (1..sampled). */
  @IsInt() @Min(1) sample!: number;
  @IsString() @Length(1, 100) characteristic!: string;
  @IsNumber({ allowNaN: false, allowInfinity: false }) value!: number;
  @IsString() @Length(1, 20) unit!: string;
}

export class RecordResultDto {
  /** Units examined; at least the plan's sample size. */
  @IsInt() @Min(1) sampled!: number;
  /** Defects found in the sample, per class. */
  @IsDefined() @ValidateNested() @Type(() => DefectCountsDto) defects!: DefectCountsDto;
  /** Nonconforming units removed from the lot (not handed on); default 0. */
  @IsOptional() @IsInt() @Min(0) rejectedUnits?: number;
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => EvidenceDto) evidence?: EvidenceDto[];
  /** Measured values per sample (e.g. dimensions of each sampled part). */
  @IsOptional() @IsArray() @ArrayMaxSize(10_000) @ValidateNested({ each: true }) @Type(() => MeasurementDto) measurements?: MeasurementDto[];
  /** Evidence files uploaded to this lot (POST /inspection/lots/:id/evidence) the result cites. */
  @IsOptional() @IsArray() @ArrayMaxSize(50) @IsString({ each: true }) @Length(1, 100, { each: true }) fileIds?: string[];
  @IsOptional() @IsString() @MaxLength(2000) notes?: string;
}

export class DisputeResultDto {
  /** Why the result is wrong, in words. */
  @IsString() @Length(3, 2000) reason!: string;
  /** Photos, measurements, reports backing the dispute. */
  @IsOptional() @IsArray() @ArrayMaxSize(50) @ValidateNested({ each: true }) @Type(() => EvidenceDto) evidence?: EvidenceDto[];
  /** Evidence files the party uploaded to this lot. */
  @IsOptional() @IsArray() @ArrayMaxSize(50) @IsString({ each: true }) @Length(1, 100, { each: true }) fileIds?: string[];
}

export const EVIDENCE_CONTENT_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'application/pdf', 'text/csv', 'text/plain', 'application/json'] as const;

/** A photo or report, base64 in JSON (size-limited by MESHFAB_INSPECTION_EVIDENCE_MAX_BYTES after decoding). */
export class UploadEvidenceDto {
  @IsString() @Length(1, 40) kind!: string;
  @IsString() @Length(1, 200) @Matches(/^[^\\/\p{Cc}\p{Cf}]+$/u, { message: 'fileName must not contain slashes, control or bidirectional-format characters' }) fileName!: string;
  @IsIn(EVIDENCE_CONTENT_TYPES) contentType!: (typeof EVIDENCE_CONTENT_TYPES)[number];
  @IsBase64() @Length(1, 100_000_000) contentBase64!: string;
}

export class ReinstateDto {
  /** The corrective action agreed on (ISO 2859-1 9.4). */
  @IsString() @Length(3, 2000) reason!: string;
}

/** An operator gives the lot to another inspector: eligible by the usual conflict rules, or a 409 naming why. */
export class ReassignLotDto {
  @IsString() @Length(1, 200) inspectorId!: string;
  @IsString() @Length(1, 500) reason!: string;
}
