import type { EntityManager } from 'typeorm';
import { ident, type Projection, type StoredEvent } from '#libs/eventsourcing';
import type {
  InspectionDisputed,
  InspectionDisputeResolved,
  InspectionFailed,
  InspectionLotOpened,
  InspectionPassed,
  InspectionResultFinal,
  InspectorAssigned,
  InspectorAssignmentExpired,
} from './domain/inspection-lot.events.js';

/**
 * Read model of inspection lots: each inspector's queue (`visible_to`: the inspectors the lot was given to and
 * who did not time out), each lot's plan, assignment, result and who recorded it.
 */
export class InspectionLotsProjection implements Projection {
  readonly name = 'inspection-lots';
  readonly handles = [
    'InspectionLotOpened',
    'InspectionPassed',
    'InspectionFailed',
    'InspectorAssigned',
    'InspectorAssignmentExpired',
    'InspectorAssignmentWithdrawn',
    'InspectionDisputed',
    'InspectionDisputeResolved',
    'InspectionResultFinal',
  ] as const;
  private readonly table: string;

  constructor(schema: string) {
    this.table = `${ident(schema)}.inspection_lots`;
  }

  async apply(event: StoredEvent, manager: EntityManager): Promise<void> {
    switch (event.type) {
      case 'InspectionLotOpened': {
        const d = event.data as unknown as InspectionLotOpened['data'];
        await manager.query(
          `INSERT INTO ${this.table} (lot_id, subtask_id, order_id, brand_id, step_id, process, workshop_id, rework_round, lot_size,
             scrap_quantity, sample_size, severity, plan, status, completed_at, opened_at)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,'pending',$14,$15) ON CONFLICT (lot_id) DO NOTHING`,
          [d.inspectionLotId, d.subtaskId, d.orderId, d.brandId, d.stepId, d.process, d.workshopId, d.reworkRound, d.lotSize,
            d.scrapQuantity, d.sampleSize, d.severity, JSON.stringify(d.plan), d.completedAt, d.openedAt],
        );
        return;
      }
      case 'InspectionPassed':
      case 'InspectionFailed': {
        const d = event.data as unknown as (InspectionPassed | InspectionFailed)['data'];
        const status = event.type === 'InspectionPassed' ? 'passed' : 'failed';
        const disposition = 'disposition' in d ? d.disposition : null;
        await manager.query(
          `UPDATE ${this.table} SET status = $2, inspected_at = $3, inspector_id = $4, disposition = $5, result = $6, assignment_due_at = NULL,
             dispute_window_ends_at = $7 WHERE lot_id = $1`,
          [d.inspectionLotId, status, d.inspectedAt, d.inspectorId, disposition, JSON.stringify({ ...d, eventId: event.eventId }), d.disputeWindowEndsAt ?? d.inspectedAt],
        );
        return;
      }
      case 'InspectorAssigned': {
        const d = event.data as unknown as InspectorAssigned['data'];
        await manager.query(
          `UPDATE ${this.table} SET assigned_inspector_id = $2, assigned_at = $3, assignment_due_at = $4,
             visible_to = CASE WHEN $2 = ANY(visible_to) THEN visible_to ELSE array_append(visible_to, $2) END
           WHERE lot_id = $1`,
          [d.inspectionLotId, d.inspectorId, d.assignedAt, d.dueAt],
        );
        return;
      }
      case 'InspectorAssignmentExpired':
      case 'InspectorAssignmentWithdrawn': {
        // The inspector it was taken from no longer sees the lot.
        const d = event.data as unknown as InspectorAssignmentExpired['data'];
        await manager.query(
          `UPDATE ${this.table} SET assigned_inspector_id = NULL, assigned_at = NULL, assignment_due_at = NULL, visible_to = array_remove(visible_to, $2) WHERE lot_id = $1`,
          [d.inspectionLotId, d.inspectorId],
        );
        return;
      }
      case 'InspectionDisputed': {
        const d = event.data as unknown as InspectionDisputed['data'];
        const dispute = { party: d.party, disputedBy: d.disputedBy, reason: d.reason, evidence: d.evidence, originalOutcome: d.originalOutcome, originalInspectorId: d.originalInspectorId, disputedAt: d.disputedAt };
        await manager.query(`UPDATE ${this.table} SET status = 'disputed', dispute = $2, assigned_inspector_id = NULL, assignment_due_at = NULL WHERE lot_id = $1`, [
          d.inspectionLotId,
          JSON.stringify(dispute),
        ]);
        return;
      }
      case 'InspectionDisputeResolved': {
        const d = event.data as unknown as InspectionDisputeResolved['data'];
        const resolution = {
          finalOutcome: d.finalOutcome,
          overturned: d.overturned,
          reinspectorId: d.reinspectorId,
          sampled: d.sampled,
          defects: d.defects,
          verdicts: d.verdicts,
          evidence: d.evidence,
          notes: d.notes ?? null,
          resolvedAt: d.resolvedAt,
        };
        await manager.query(`UPDATE ${this.table} SET status = $2, dispute = dispute || jsonb_build_object('resolution', $3::jsonb), assignment_due_at = NULL WHERE lot_id = $1`, [
          d.inspectionLotId,
          d.finalOutcome,
          JSON.stringify(resolution),
        ]);
        return;
      }
      case 'InspectionResultFinal': {
        const d = event.data as unknown as InspectionResultFinal['data'];
        await manager.query(`UPDATE ${this.table} SET final = true WHERE lot_id = $1`, [d.inspectionLotId]);
        return;
      }
      default:
        return;
    }
  }

  async reset(manager: EntityManager): Promise<void> {
    await manager.query(`TRUNCATE ${this.table}`);
  }
}
