import { ArrayMaxSize, IsArray, IsOptional, IsString, Length } from 'class-validator';
import { IsPlainText } from '#libs/contracts';

/** What inspection assigns lots by: catalogue processes, regions (empty = every region), tied members. */
export class InspectorQualificationsDto {
  /** Catalogue processes the inspector is certified to inspect (`cutting`, `sewing`, …); none = never assigned. */
  @IsOptional() @IsArray() @ArrayMaxSize(50) @IsString({ each: true }) @Length(1, 100, { each: true }) processes?: string[];
  /** Regions (as in a workshop's `location.region`) the inspector works in; none = every region. */
  @IsOptional() @IsArray() @ArrayMaxSize(50) @IsString({ each: true }) @Length(1, 100, { each: true }) @IsPlainText({ each: true }) regions?: string[];
  /** Member ids (brands, workshops) the inspector is tied to: employer, owner, family, paid adviser… Never assigned their lots. */
  @IsOptional() @IsArray() @ArrayMaxSize(200) @IsString({ each: true }) @Length(1, 100, { each: true }) affiliations?: string[];
}

export class RegisterInspectorDto extends InspectorQualificationsDto {
  @IsString() @Length(1, 200) @IsPlainText() name!: string;
  /** Free text, e.g. `ISO 2859-1`, `ASQ CQI`; each at most once. */
  @IsOptional() @IsArray() @ArrayMaxSize(50) @IsString({ each: true }) @Length(1, 100, { each: true }) @IsPlainText({ each: true }) certifications?: string[];
}

/** Replaces the inspector's whole declaration (what is left out becomes empty). */
export class UpdateInspectorProfileDto extends InspectorQualificationsDto {
  @IsOptional() @IsArray() @ArrayMaxSize(50) @IsString({ each: true }) @Length(1, 100, { each: true }) @IsPlainText({ each: true }) certifications?: string[];
}
