import type { DefectCounts, DisputingParty, EvidenceReference, InspectionLotFacts, Measurement } from './inspection-lot.events.js';
import type { InspectorCandidate } from './inspector-assignment.js';
import type { LotPlan } from './lot-plan.js';

export interface OpenInspectionLot {
  type: 'OpenInspectionLot';
  facts: Omit<InspectionLotFacts, 'sampleSize' | 'severity'>;
  scrapQuantity: number;
  completedAt: string;
  /** Drawn outside the decider from the tables and the workshop+process's current severity. */
  plan: LotPlan;
  openedAt: string;
}

export interface RecordInspectionResult {
  type: 'RecordInspectionResult';
  inspectorId: string;
  sampled: number;
  defects: DefectCounts;
  rejectedUnits: number;
  evidence: EvidenceReference[];
  /** Measured values per sample; each sample number within 1..sampled. */
  measurements?: Measurement[];
  /** Ids of evidence files attached to this lot. */
  fileIds?: string[];
  notes?: string;
  inspectedAt: string;
  /** Policy: a failed lot goes back to the same workshop while reworkRound < maxReworkRounds. */
  maxReworkRounds: number;
  /** How long the brand or the workshop may dispute the result; 0 = the result is final at once. */
  disputeWindowSeconds: number;
}

/** The brand or the workshop of the lot challenges its result, with evidence. */
export interface DisputeInspectionResult {
  type: 'DisputeInspectionResult';
  party: DisputingParty;
  /** Member id of the disputing party (the brand's or the workshop's id). */
  by: string;
  reason: string;
  evidence: EvidenceReference[];
  fileIds?: string[];
  at: string;
}

/** A stored evidence file becomes part of the lot: by its assigned inspector, or by its brand or workshop (for a dispute). */
export interface AttachEvidenceFile {
  type: 'AttachEvidenceFile';
  role: 'inspector' | 'brand' | 'workshop';
  by: string;
  fileId: string;
  sha256: string;
  sizeBytes: number;
  contentType: string;
  fileName: string;
  kind: string;
  at: string;
}

/** The dispute window of an undisputed result has passed: the result is final. */
export interface CloseDisputeWindow {
  type: 'CloseDisputeWindow';
  at: string;
}

/**
 * Give the lot to an inspector (when it has none), or take it from one whose time ran out and give it to
 * another (`expire`). The candidates and their loads are read outside the decider; it decides who.
 */
export interface AssignInspector {
  type: 'AssignInspector';
  candidates: InspectorCandidate[];
  /** The workshop's region, lower-case; null when unknown. */
  region: string | null;
  /** The brand's own inspector, when it named one. */
  nominee: string | null;
  at: string;
  timeoutSeconds: number;
  /** Take the lot from an assignee whose `dueAt` is past first; otherwise an assigned lot is left alone. */
  expire: boolean;
}

/**
 * Take the lot from its assigned inspector and give it to another, under the same conflict rules as any
 * assignment: an operator naming the inspector (`to`), or the network picking among `candidates` because the
 * assignee was suspended (`from`: then nothing happens unless the lot is still that inspector's).
 */
export interface ReassignInspector {
  type: 'ReassignInspector';
  /** Only take the lot from this inspector (a suspension); undefined: from whoever holds it (an operator's reassignment). */
  from?: string;
  /** The inspector an operator names; null: the network picks among the candidates. */
  to: string | null;
  /** Inspectors certified for the lot's process, not suspended, with their loads. */
  candidates: InspectorCandidate[];
  /** The workshop's region, lower-case; null when unknown. */
  region: string | null;
  reason: string;
  /** The operator (or the suspension's operator). */
  by: string;
  at: string;
  timeoutSeconds: number;
}

export type InspectionLotCommand =
  | OpenInspectionLot
  | RecordInspectionResult
  | AssignInspector
  | ReassignInspector
  | DisputeInspectionResult
  | CloseDisputeWindow
  | AttachEvidenceFile;
