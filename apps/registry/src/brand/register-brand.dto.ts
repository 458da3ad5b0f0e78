import { IsEmail, IsOptional, IsString, Length } from 'class-validator';

export class RegisterBrandDto {
  @IsString() @Length(1, 200) name!: string;
  @IsOptional() @IsEmail() contactEmail?: string;
}
