import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';

export class CreateWebhookEndpointDto {
  /** Where to POST: https (http to 127.0.0.1 only where the platform allows it). */
  @IsString() @MaxLength(2048) url!: string;
  /** Event types to receive (see GET /notifications/event-types), or ["*"] for every type the member may receive. */
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(50) @IsString({ each: true }) eventTypes!: string[];
  @IsOptional() @IsString() @MaxLength(200) description?: string;
}

export class UpdateWebhookEndpointDto {
  @IsOptional() @IsString() @MaxLength(2048) url?: string;
  @IsOptional() @IsArray() @ArrayMinSize(1) @ArrayMaxSize(50) @IsString({ each: true }) eventTypes?: string[];
  @IsOptional() @IsString() @MaxLength(200) description?: string;
  /** `enabled` re-enables an endpoint the service disabled (its failure count starts again); `disabled` pauses it. */
  @IsOptional() @IsIn(['enabled', 'disabled']) status?: 'enabled' | 'disabled';
}
