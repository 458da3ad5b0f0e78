/** The result of a lot on original inspection, for the switching rules. */
export interface CountLotForSwitching {
  type: 'CountLotForSwitching';
  workshopId: string;
  process: string;
  inspectionLotId: string;
  accepted: boolean;
  /** Acceptance number of the plan in use for the AQL the score follows (the major class). */
  acceptanceNumber: number;
  /**
   * Whether the lot would also have been accepted at the next tighter AQL (d ≤ Ac of that normal plan);
   * only matters when acceptanceNumber ≥ 2. False when there is no tighter column.
   */
  acceptedOneStepTighter: boolean;
  /** The responsible authority's standing approval of reduced inspection (with steady production). */
  reducedInspectionApproved: boolean;
  at: string;
}

/** After a discontinuation, the operator agrees the workshop's corrective action: resume on tightened. */
export interface ReinstateInspection {
  type: 'ReinstateInspection';
  workshopId: string;
  process: string;
  by: string;
  reason: string;
  at: string;
}

export type SwitchingCommand = CountLotForSwitching | ReinstateInspection;
