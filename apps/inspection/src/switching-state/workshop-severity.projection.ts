import type { EntityManager } from 'typeorm';
import { ident, type Projection, type StoredEvent } from '#libs/eventsourcing';
import type { InspectionSeverityChanged, LotCountedForSwitching } from './domain/switching-state.events.js';

/** Current severity and switching score per workshop and process. */
export class WorkshopSeverityProjection implements Projection {
  readonly name = 'workshop-severity';
  readonly handles = ['LotCountedForSwitching', 'InspectionSeverityChanged'] as const;
  private readonly table: string;

  constructor(schema: string) {
    this.table = `${ident(schema)}.workshop_severity`;
  }

  async apply(event: StoredEvent, manager: EntityManager): Promise<void> {
    if (event.type === 'LotCountedForSwitching') {
      const d = event.data as unknown as LotCountedForSwitching['data'];
      await manager.query(
        `INSERT INTO ${this.table} (workshop_id, process, severity, switching_score, lots_counted, updated_at)
         VALUES ($1, $2, $3, $4, 1, $5)
         ON CONFLICT (workshop_id, process) DO UPDATE SET switching_score = EXCLUDED.switching_score,
           lots_counted = ${this.table}.lots_counted + 1, updated_at = EXCLUDED.updated_at`,
        [d.workshopId, d.process, d.severity, d.switchingScore, d.countedAt],
      );
    } else if (event.type === 'InspectionSeverityChanged') {
      const d = event.data as unknown as InspectionSeverityChanged['data'];
      await manager.query(
        `INSERT INTO ${this.table} (workshop_id, process, severity, switching_score, lots_counted, last_reason, changed_at, updated_at)
         VALUES ($1, $2, $3, 0, 0, $4, $5, $5)
         ON CONFLICT (workshop_id, process) DO UPDATE SET severity = EXCLUDED.severity, switching_score = 0,
           last_reason = EXCLUDED.last_reason, changed_at = EXCLUDED.changed_at, updated_at = EXCLUDED.updated_at`,
        [d.workshopId, d.process, d.to, d.reason, d.changedAt],
      );
    }
  }

  async reset(manager: EntityManager): Promise<void> {
    await manager.query(`TRUNCATE ${this.table}`);
  }
}
