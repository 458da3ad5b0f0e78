/** A workshop's inspection severity for one process (ISO 2859-1 switching rules). */
export class ProcessSeverityDto {
  process!: string;
  /** normal, tightened, reduced or discontinued. */
  severity!: string;
  switchingScore!: number;
  lotsCounted!: number;
  /** Why it last switched, or null. */
  reason!: string | null;
  changedAt!: string | null;
}

/** A workshop's inspection severity per process (normal until a lot says otherwise). */
export class WorkshopSeverityDto {
  workshopId!: string;
  /** The severity of a process not listed. */
  default!: string;
  processes!: ProcessSeverityDto[];
}
