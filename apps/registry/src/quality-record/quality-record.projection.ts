import type { EntityManager } from 'typeorm';
import { ident, type Projection, type StoredEvent } from '#libs/eventsourcing';
import type { WorkshopQualityRecordUpdated } from './domain/quality-record.events.js';

type DeliveryFields = 'deliveries' | 'onTimeDeliveries' | 'onTimeRate' | 'disputes' | 'overturnedResults';
/** Events stored before deliveries were counted have no delivery fields. */
type RecordData = Omit<WorkshopQualityRecordUpdated['data'], DeliveryFields> & Partial<Pick<WorkshopQualityRecordUpdated['data'], DeliveryFields>>;

/** Read model `quality_records`: the latest record per workshop and process. */
export function qualityRecordProjection(schema: string): Projection {
  const s = ident(schema);
  return {
    name: 'quality-records',
    handles: ['WorkshopQualityRecordUpdated'],
    async apply(event: StoredEvent, manager: EntityManager): Promise<void> {
      const d = event.data as unknown as RecordData;
      await manager.query(
        `INSERT INTO ${s}.quality_records (workshop_id, process, lots_inspected, lots_passed, lots_with_critical_defects, units_sampled, defects, defect_rate, score, updated_at,
                                           deliveries, on_time_deliveries, on_time_rate, disputes, overturned_results)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT (workshop_id, process) DO UPDATE SET lots_inspected = $3, lots_passed = $4, lots_with_critical_defects = $5, units_sampled = $6,
           defects = $7, defect_rate = $8, score = $9, updated_at = $10, deliveries = $11, on_time_deliveries = $12, on_time_rate = $13,
           disputes = $14, overturned_results = $15`,
        [
          d.workshopId, d.process, d.lotsInspected, d.lotsPassed, d.lotsWithCriticalDefects, d.unitsSampled, JSON.stringify(d.defects), d.defectRate, d.score, d.updatedAt,
          d.deliveries ?? 0, d.onTimeDeliveries ?? 0, d.onTimeRate ?? 0, d.disputes ?? 0, d.overturnedResults ?? 0,
        ],
      );
    },
    async reset(manager: EntityManager): Promise<void> {
      await manager.query(`TRUNCATE ${s}.quality_records`);
    },
  };
}
