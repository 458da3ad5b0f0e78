import { IsEmail, IsOptional, IsString, Length } from 'class-validator';
import { IsPlainText } from '#libs/contracts';

export class RegisterBrandDto {
  @IsString() @Length(1, 200) @IsPlainText() name!: string;
  @IsOptional() @IsEmail() contactEmail?: string;
}
