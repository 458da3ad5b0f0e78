import { DomainError, NotFound } from '#libs/domain';
import type { ReassignInspector } from './inspection-lot.commands.js';
import type { InspectionLotState } from './inspection-lot.decider.js';
import type { AssignmentPurpose, InspectionLotEvent } from './inspection-lot.events.js';
import { ineligibility, inspectorAssigned, pickInspector } from './inspector-assignment.js';

/**
 * Takes a lot from its assignee and gives it to another inspector (see {@link ReassignInspector}).
 *
 * - An operator names the new inspector: it must be eligible by the same rules as any assignment (certified for
 *   the process, working in the workshop's region, tied to neither party, not the original inspector of a
 *   disputed result, not suspended: absent from the candidates); else 409 `inspector_not_eligible` naming why.
 *   A lot that has its result (and no open dispute) is a 409 `lot_not_awaiting_inspection`.
 * - A suspension takes the lot from the suspended inspector only if it still holds it, and the network picks
 *   among the others (the withdrawn one is never picked back); with nobody eligible the lot waits, and the
 *   assignment sweep gives it out when someone is.
 */
export function reassign(command: ReassignInspector, state: InspectionLotState): InspectionLotEvent[] {
  if (state.status === 'none') throw new NotFound('inspection_lot', '(unknown)');
  const { facts } = state;
  const open = state.status === 'pending' || state.status === 'disputed';
  if (command.from !== undefined && (!open || state.assignment?.inspectorId !== command.from)) return [];
  if (!open) {
    throw new DomainError('lot_not_awaiting_inspection', `inspection lot ${facts.inspectionLotId} has its result (${state.status}); nothing to reassign`, 'conflict', {
      status: state.status,
    });
  }
  const purpose: AssignmentPurpose = state.status === 'disputed' ? 'reinspection' : 'inspection';
  const barred = purpose === 'reinspection' && state.inspectedBy ? [state.inspectedBy] : [];
  const lot = { process: facts.process, workshopId: facts.workshopId, brandId: facts.brandId, region: command.region };
  const current = state.assignment?.inspectorId;
  if (command.to !== null) {
    if (command.to === current) throw new DomainError('already_assigned', `inspection lot ${facts.inspectionLotId} is already assigned to ${command.to}`, 'conflict');
    const named = command.candidates.find((c) => c.inspectorId === command.to);
    const why = named ? ineligibility(lot, named, barred) : 'not_certified_or_suspended';
    if (why) {
      throw new DomainError('inspector_not_eligible', `inspector ${command.to} may not inspect lot ${facts.inspectionLotId}: ${why}`, 'conflict', {
        inspectorId: command.to,
        reason: why,
      });
    }
  }
  const events: InspectionLotEvent[] = [];
  if (current !== undefined) {
    const cause = command.from !== undefined ? 'inspector-suspended' : 'operator';
    events.push({
      type: 'InspectorAssignmentWithdrawn',
      data: { inspectionLotId: facts.inspectionLotId, inspectorId: current, reason: command.reason, withdrawnBy: command.by, withdrawnAt: command.at, cause },
    });
  }
  const pick =
    command.to !== null
      ? { inspectorId: command.to, by: 'operator' as const, eligible: command.candidates.filter((c) => ineligibility(lot, c, barred) === null).length }
      : pickInspector(lot, command.candidates, { barred: [...barred, ...(current ? [current] : [])], timedOut: state.timedOut }, null);
  if (!pick) {
    events.push({ type: 'InspectionAwaitingInspector', data: { inspectionLotId: facts.inspectionLotId, purpose, candidates: command.candidates.length, at: command.at } });
    return events;
  }
  events.push(inspectorAssigned(facts.inspectionLotId, purpose, pick, command.at, command.timeoutSeconds));
  return events;
}
