import type { DomainEvent } from '#libs/domain';
import type { DefectClass, LotPlan, Severity } from './lot-plan.js';

/** Facts about the completed lot every event of an inspection lot repeats (what consumers need). */
export interface InspectionLotFacts {
  inspectionLotId: string;
  subtaskId: string;
  orderId: string;
  brandId: string;
  stepId: string;
  process: string;
  workshopId: string;
  lotSize: number;
  sampleSize: number;
  severity: Severity;
  /** 0 for the first inspection of the subtask's lot; n for the n-th re-inspection after rework. */
  reworkRound: number;
}

export type InspectionLotOpened = DomainEvent<
  'InspectionLotOpened',
  InspectionLotFacts & {
    scrapQuantity: number;
    completedAt: string;
    openedAt: string;
    /** Original inspection counts for the switching rules; re-inspections after rework do not. */
    originalInspection: boolean;
    plan: LotPlan;
  }
>;

export interface EvidenceReference {
  kind: string;
  ref: string;
  note?: string;
}

export type DefectCounts = Record<DefectClass, number>;

/** One measured value of one sampled unit (e.g. sample 3, chest width, 52.1 cm). */
export interface Measurement {
  sample: number;
  characteristic: string;
  value: number;
  unit: string;
}

/** An evidence file attached to the lot, as a result or a dispute cites it. */
export interface EvidenceFileReference {
  fileId: string;
  sha256: string;
  kind: string;
}

/** A photo or report stored for the lot (bytes in the evidence storage; its hash here, in the stream). */
export type EvidenceFileAttached = DomainEvent<
  'EvidenceFileAttached',
  {
    inspectionLotId: string;
    fileId: string;
    sha256: string;
    sizeBytes: number;
    contentType: string;
    fileName: string;
    kind: string;
    uploadedBy: string;
    role: 'inspector' | 'brand' | 'workshop';
    attachedAt: string;
  }
>;

/** What the inspector recorded, kept on the result for traceability. */
export interface InspectionRecord {
  inspectorId: string;
  sampled: number;
  defects: DefectCounts;
  /** Per class: accepted (d < Re) or not. */
  verdicts: Record<DefectClass, boolean>;
  rejectedUnits: number;
  evidence: EvidenceReference[];
  /** Measured values per sample (absent on older results). */
  measurements?: Measurement[];
  /** Evidence files attached to the lot that the result cites (absent on older results). */
  files?: EvidenceFileReference[];
  notes?: string;
  codeLetter: string;
}

export type InspectionPassed = DomainEvent<
  'InspectionPassed',
  InspectionLotFacts &
    InspectionRecord & {
      passedQuantity: number;
      inspectedAt: string;
      /** Until when the brand or the workshop may dispute the result (= inspectedAt when disputes are off). Absent on older events. */
      disputeWindowEndsAt?: string;
      criticalDefects: number;
      majorDefects: number;
      minorDefects: number;
    }
>;

export type InspectionFailed = DomainEvent<
  'InspectionFailed',
  InspectionLotFacts &
    InspectionRecord & {
      criticalDefects: number;
      majorDefects: number;
      minorDefects: number;
      disposition: 'rework' | 'replan';
      /** Why this disposition, in words. */
      dispositionReason: string;
      inspectedAt: string;
      disputeWindowEndsAt?: string;
    }
>;

/** Why an inspector holds a lot: its first inspection, or the re-inspection of a disputed result. */
export type AssignmentPurpose = 'inspection' | 'reinspection';

/** The network (or the brand's nomination) gave the lot to one inspector, who alone may record its result until `dueAt`. */
export type InspectorAssigned = DomainEvent<
  'InspectorAssigned',
  {
    inspectionLotId: string;
    inspectorId: string;
    purpose: AssignmentPurpose;
    /** `operator`: an operator named the inspector (ReassignInspector). */
    by: 'network' | 'brand-nominee' | 'operator';
    /** How many inspectors were eligible. */
    eligible: number;
    /** Why the brand's nominee was passed over (not eligible for this lot, timed out, unknown). */
    nomineeSkipped?: string;
    assignedAt: string;
    dueAt: string;
  }
>;

/** The assigned inspector recorded nothing in time: the assignment ends (a result from it is refused from now on). */
export type InspectorAssignmentExpired = DomainEvent<'InspectorAssignmentExpired', { inspectionLotId: string; inspectorId: string; assignedAt: string; dueAt: string; expiredAt: string }>;

/**
 * The lot was taken from its assignee before its time ran out: an operator reassigned it, or the inspector was
 * suspended. A result from it is refused from now on, and it no longer sees the lot.
 */
export type InspectorAssignmentWithdrawn = DomainEvent<
  'InspectorAssignmentWithdrawn',
  { inspectionLotId: string; inspectorId: string; reason: string; withdrawnBy: string; withdrawnAt: string; cause: 'operator' | 'inspector-suspended' }
>;

/** No inspector is eligible for the lot (none certified for the process and region, or all tied to the parties); a sweep tries again. */
export type InspectionAwaitingInspector = DomainEvent<'InspectionAwaitingInspector', { inspectionLotId: string; purpose: AssignmentPurpose; candidates: number; at: string }>;

export type Outcome = 'passed' | 'failed';
export type DisputingParty = 'brand' | 'workshop';

/** The brand or the workshop challenged the result within the window; another inspector re-inspects. */
export type InspectionDisputed = DomainEvent<
  'InspectionDisputed',
  InspectionLotFacts & {
    party: DisputingParty;
    disputedBy: string;
    reason: string;
    evidence: EvidenceReference[];
    files?: EvidenceFileReference[];
    originalOutcome: Outcome;
    originalInspectorId: string;
    disputeWindowEndsAt: string;
    disputedAt: string;
  }
>;

/** The re-inspection of a disputed result: its outcome is final; `overturned` when it differs from the original. */
export type InspectionDisputeResolved = DomainEvent<
  'InspectionDisputeResolved',
  InspectionLotFacts & {
    party: DisputingParty;
    disputedBy: string;
    originalOutcome: Outcome;
    finalOutcome: Outcome;
    overturned: boolean;
    originalInspectorId: string;
    reinspectorId: string;
    sampled: number;
    defects: DefectCounts;
    verdicts: Record<DefectClass, boolean>;
    criticalDefects: number;
    majorDefects: number;
    minorDefects: number;
    /** Units the final outcome hands on (lot size − rejected units on a pass, 0 on a fail). */
    passedQuantity: number;
    evidence: EvidenceReference[];
    measurements?: Measurement[];
    files?: EvidenceFileReference[];
    notes?: string;
    resolvedAt: string;
  }
>;

/**
 * The lot's outcome can no longer change: the dispute window closed with no dispute, or a dispute was resolved.
 * What settlement pays (or takes back) by.
 */
export type InspectionResultFinal = DomainEvent<
  'InspectionResultFinal',
  InspectionLotFacts & {
    outcome: Outcome;
    /** The inspector whose result stands. */
    inspectorId: string;
    finalBecause: 'dispute_window_closed' | 'dispute_resolved';
    overturned: boolean;
    passedQuantity: number;
    finalAt: string;
  }
>;

export type InspectionLotEvent =
  | InspectionLotOpened
  | InspectionPassed
  | InspectionFailed
  | InspectorAssigned
  | InspectorAssignmentExpired
  | InspectorAssignmentWithdrawn
  | InspectionAwaitingInspector
  | InspectionDisputed
  | InspectionDisputeResolved
  | InspectionResultFinal
  | EvidenceFileAttached;
