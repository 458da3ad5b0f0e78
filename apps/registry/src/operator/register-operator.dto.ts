import { IsEmail, IsOptional, IsString, Length } from 'class-validator';
import { IsPlainText } from '#libs/contracts';

export class RegisterOperatorDto {
  /** The person's name: every operator action is recorded under the operator's id and shown with it. */
  @IsString() @Length(1, 200) @IsPlainText() name!: string;
  @IsOptional() @IsEmail() contactEmail?: string;
}
