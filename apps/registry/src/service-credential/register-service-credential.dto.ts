import { IsString, Length } from 'class-validator';
import { IsPlainText } from '#libs/contracts';

export class RegisterServiceCredentialDto {
  /** What uses the credential (a host, a region): shown in the audit. */
  @IsString() @Length(1, 200) @IsPlainText() name!: string;
}

export class ServiceCredentialViewDto {
  id!: string;
  name!: string;
  registeredAt!: string;
}
