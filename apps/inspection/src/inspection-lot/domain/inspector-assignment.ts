/**
 * Who may inspect a lot, and who does: pure, so the rules are tested without a database.
 *
 * Eligible: certified for the lot's process, working in the workshop's region (an inspector that names no
 * region works everywhere; a workshop without a region is inspected by anyone certified), and tied to
 * neither the workshop nor the brand (an affiliation declared on either side of the tie). Among the
 * eligible the brand's nominee is taken when it is one of them, else the one with the fewest open lots
 * (ties: the smaller id, so the choice is deterministic). Inspectors barred from this lot (the original
 * inspector of a disputed result) are never taken; those whose assignment of this lot timed out only when
 * nobody else is eligible.
 */
import type { AssignmentPurpose, InspectorAssigned } from './inspection-lot.events.js';

export interface InspectorCandidate {
  inspectorId: string;
  processes: readonly string[];
  /** Lower-case; empty = every region. */
  regions: readonly string[];
  /** Member ids the inspector declared ties to. */
  affiliations: readonly string[];
  /** Lots assigned to it and not yet inspected (its load). */
  openLots: number;
}

export interface LotToAssign {
  process: string;
  workshopId: string;
  brandId: string;
  /** The workshop's region (lower-case), null when unknown. */
  region: string | null;
}

export type IneligibleReason = 'not_certified' | 'other_region' | 'affiliated' | 'barred';

export function ineligibility(lot: LotToAssign, c: InspectorCandidate, barred: readonly string[]): IneligibleReason | null {
  if (barred.includes(c.inspectorId)) return 'barred';
  if (c.affiliations.includes(lot.workshopId) || c.affiliations.includes(lot.brandId)) return 'affiliated';
  if (!c.processes.includes(lot.process)) return 'not_certified';
  if (lot.region !== null && c.regions.length > 0 && !c.regions.includes(lot.region)) return 'other_region';
  return null;
}

export interface Pick {
  inspectorId: string;
  by: 'network' | 'brand-nominee';
  eligible: number;
  /** Why the brand's nominee was passed over, when it was. */
  nomineeSkipped?: IneligibleReason | 'unknown_inspector' | 'timed_out';
}

const byLoad = (a: InspectorCandidate, b: InspectorCandidate): number => a.openLots - b.openLots || (a.inspectorId < b.inspectorId ? -1 : a.inspectorId > b.inspectorId ? 1 : 0);

export function pickInspector(
  lot: LotToAssign,
  candidates: readonly InspectorCandidate[],
  exclusions: { barred: readonly string[]; timedOut: readonly string[] },
  nominee: string | null,
): Pick | null {
  const eligible = candidates.filter((c) => ineligibility(lot, c, exclusions.barred) === null);
  const fresh = eligible.filter((c) => !exclusions.timedOut.includes(c.inspectorId));
  const pool = fresh.length > 0 ? fresh : eligible;
  if (pool.length === 0) return null;
  let nomineeSkipped: Pick['nomineeSkipped'];
  if (nominee !== null) {
    const named = candidates.find((c) => c.inspectorId === nominee);
    if (!named) nomineeSkipped = 'unknown_inspector';
    else {
      const reason = ineligibility(lot, named, exclusions.barred);
      if (reason) nomineeSkipped = reason;
      else if (pool.includes(named)) return { inspectorId: named.inspectorId, by: 'brand-nominee', eligible: eligible.length };
      else nomineeSkipped = 'timed_out';
    }
  }
  const [chosen] = [...pool].sort(byLoad);
  return { inspectorId: chosen.inspectorId, by: 'network', eligible: eligible.length, ...(nomineeSkipped ? { nomineeSkipped } : {}) };
}

/** The assignment of `pick` (the network's, the brand's nominee or an operator's), due `timeoutSeconds` after `at`. */
export function inspectorAssigned(
  inspectionLotId: string,
  purpose: AssignmentPurpose,
  pick: Omit<Pick, 'by'> & { by: InspectorAssigned['data']['by'] },
  at: string,
  timeoutSeconds: number,
): InspectorAssigned {
  return {
    type: 'InspectorAssigned',
    data: {
      inspectionLotId,
      inspectorId: pick.inspectorId,
      purpose,
      by: pick.by,
      eligible: pick.eligible,
      ...(pick.nomineeSkipped ? { nomineeSkipped: pick.nomineeSkipped } : {}),
      assignedAt: at,
      dueAt: new Date(Date.parse(at) + timeoutSeconds * 1000).toISOString(),
    },
  };
}
