/** A workshop as members see it. The workshop itself and operators also get its location, capacity and detailed quality record. */
export class WorkshopViewDto {
  id!: string;
  name!: string;
  region!: string | null;
  city!: string | null;
  certifications!: string[];
  status!: 'active' | 'suspended';
  /** Why it is suspended (the workshop itself and operators). */
  suspendedReason?: string | null;
  registeredAt?: string;
  updatedAt?: string;
}

/** A page of a workshop search. */
export class WorkshopSearchPageDto {
  /** By name; by free hours (most first) when searching capacity. */
  items!: WorkshopViewDto[];
  /** More workshops follow: ask again with `cursor=nextCursor`. */
  hasMore!: boolean;
  /** The cursor of the next page; null on the last one. */
  nextCursor!: string | null;
  /** Workshops matching the search, all pages together. */
  total!: number;
}
