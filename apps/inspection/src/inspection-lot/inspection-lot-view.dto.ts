/** A lot delivered by a workshop, waiting for or through inspection (ISO 2859-1 single sampling). */
export class InspectionLotViewDto {
  /** The lot's id (POST /inspection/lots/{id}/results). */
  id!: string;
  subtaskId!: string;
  orderId!: string;
  brandId!: string;
  stepId!: string;
  process!: string;
  workshopId!: string;
  /** 0 for the first delivery, then one more per rework. */
  reworkRound!: number;
  lotSize!: number;
  scrapQuantity!: number;
  /** Units the inspector must examine. */
  sampleSize!: number;
  /** normal, tightened or reduced inspection. */
  severity!: string;
  /** pending, passed or failed. */
  status!: string;
  /** The sampling plan: code letter, sample size, acceptance and rejection numbers per defect class. */
  plan!: unknown;
  completedAt!: string;
  openedAt!: string;
  inspectedAt!: string | null;
  inspectedBy!: string | null;
  /** The inspector the lot is given to now (to inspect, or to re-inspect after a dispute), or null while nobody eligible is free. */
  assignedInspectorId!: string | null;
  /** When the current assignment times out and the lot is given to another inspector, or null. */
  assignmentDueAt!: string | null;
  /** What happens to a failed lot (rework, scrap...), or null. */
  disposition!: string | null;
  result!: unknown;
  /** Until when the brand or workshop may dispute the result (null before a result). */
  disputeWindowEndsAt!: string | null;
  /** The outcome can no longer change (window passed undisputed, or the dispute resolved). */
  final!: boolean;
  /** The dispute (party, reason, evidence, original outcome and inspector), or null. */
  dispute!: unknown;
}

/** A page of inspection lots, oldest first. */
export class InspectionLotPageDto {
  items!: InspectionLotViewDto[];
  /** More lots follow: ask again with `cursor=nextCursor`. */
  hasMore!: boolean;
  /** The cursor of the next page; null on the last one. */
  nextCursor!: string | null;
}

/** A lot's traceability. */
export class InspectionLotTraceDto {
  lot!: InspectionLotViewDto;
  /** Every inspection of the same subtask (rework rounds). */
  inspectionsOfThisSubtask!: InspectionLotViewDto[];
  /** The other inspected lots of the same order (not shown to workshops). */
  otherLotsOfTheOrder!: InspectionLotViewDto[];
}

/** The verdict recorded on a lot: the event's type (`InspectionPassed`, `InspectionFailed`...) and its data. */
export class InspectionOutcomeDto {
  type!: string;
  /** When failed: `rework` or another disposition. */
  disposition?: string;
  [field: string]: unknown;
}

/** A dispute recorded (`InspectionDisputed` and its data) with the inspector assigned to re-inspect. */
export class InspectionDisputedDto {
  type!: string;
  /** The inspector assigned to re-inspect, or null while nobody eligible is free. */
  reinspectorId!: string | null;
  [field: string]: unknown;
}
