import { Type } from 'class-transformer';
import { IsDefined, IsOptional, IsString, Length, ValidateNested } from 'class-validator';
import { PositiveMoneyDto } from '../settlement/settlement.dto.js';
import { CursorPageQueryDto } from '#libs/platform';

export class CreateFundingIntentDto {
  @IsDefined()
  @ValidateNested()
  @Type(() => PositiveMoneyDto)
  amount!: PositiveMoneyDto;
}

export class FundingIntentsQueryDto extends CursorPageQueryDto {
  /** Operators only: the brand whose intents to list (all brands when omitted). */
  @IsOptional()
  @IsString()
  @Length(1, 100)
  brandId?: string;
}

export class RequestManualCreditDto {
  @IsString()
  @Length(1, 100)
  brandId!: string;

  @IsDefined()
  @ValidateNested()
  @Type(() => PositiveMoneyDto)
  amount!: PositiveMoneyDto;

  /** Why: the bank booking it stands for, the ticket, the correction. */
  @IsString()
  @Length(3, 500)
  reason!: string;
}

export class RejectManualCreditDto {
  @IsString()
  @Length(3, 500)
  reason!: string;
}
