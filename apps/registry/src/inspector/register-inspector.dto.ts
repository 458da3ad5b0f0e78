import { ArrayMaxSize, IsArray, IsOptional, IsString, Length } from 'class-validator';
import { IsPlainText } from '#libs/contracts';

export class RegisterInspectorDto {
  @IsString() @Length(1, 200) @IsPlainText() name!: string;
  /** Free text, e.g. `ISO 2859-1`, `ASQ CQI`; each at most once. */
  @IsOptional() @IsArray() @ArrayMaxSize(50) @IsString({ each: true }) @Length(1, 100, { each: true }) @IsPlainText({ each: true }) certifications?: string[];
}
