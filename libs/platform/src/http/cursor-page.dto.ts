import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { MAX_PAGE_LIMIT } from './cursor-page.js';

/** `?cursor=&limit=` of a cursor-paged list (see cursor-page.ts). */
export class CursorPageQueryDto {
  /** `nextCursor` of the previous page, as is; omit for the first page. */
  @IsOptional() @IsString() @MaxLength(1000) cursor?: string;
  /** Items per page, 1-500 (default 100). */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_PAGE_LIMIT) limit?: number;
}
