import type { EntityManager } from 'typeorm';
import { ident, type Projection, type StoredEvent } from '#libs/eventsourcing';
import type {
  CapacityDeclared,
  CapacityWithdrawn,
  WorkshopCapabilitiesChanged,
  WorkshopProfileUpdated,
  WorkshopRegistered,
  WorkshopSuspended,
} from './domain/workshop.events.js';

const dataOf = <E extends { data: object }>(event: StoredEvent): E['data'] => event.data;
const workshopIdOf = (event: StoredEvent): string => String(event.data.workshopId);

/** Read models `workshops` (profile, capabilities, status) and `capacity_rules` (declared and withdrawn capacity, in order). */
export function workshopProfileProjection(schema: string): Projection {
  const s = ident(schema);
  return {
    name: 'workshop-profile',
    handles: ['WorkshopRegistered', 'WorkshopProfileUpdated', 'WorkshopCapabilitiesChanged', 'CapacityDeclared', 'CapacityWithdrawn', 'WorkshopSuspended', 'WorkshopReinstated'],
    async apply(event: StoredEvent, manager: EntityManager): Promise<void> {
      switch (event.type) {
        case 'WorkshopRegistered': {
          const d = dataOf<WorkshopRegistered>(event);
          await manager.query(
            `INSERT INTO ${s}.workshops (workshop_id, name, location, region, city, certifications, registered_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT DO NOTHING`,
            [d.workshopId, d.name, JSON.stringify(d.location), d.location.region ?? null, d.location.city ?? null, d.certifications, d.registeredAt],
          );
          return;
        }
        case 'WorkshopProfileUpdated': {
          const d = dataOf<WorkshopProfileUpdated>(event);
          await manager.query(
            `UPDATE ${s}.workshops SET name = $2, location = $3, region = $4, city = $5, certifications = $6, updated_at = $7 WHERE workshop_id = $1`,
            [d.workshopId, d.name, JSON.stringify(d.location), d.location.region ?? null, d.location.city ?? null, d.certifications, event.occurredAt],
          );
          return;
        }
        case 'WorkshopCapabilitiesChanged': {
          const d = dataOf<WorkshopCapabilitiesChanged>(event);
          await manager.query(`UPDATE ${s}.workshops SET capabilities = $2, processes = $3, updated_at = $4 WHERE workshop_id = $1`, [
            d.workshopId, JSON.stringify(d.capabilities), d.capabilities.map((c) => c.process), event.occurredAt,
          ]);
          return;
        }
        case 'CapacityDeclared': {
          const d = dataOf<CapacityDeclared>(event);
          const exceptions = Object.fromEntries(d.exceptions.map((e) => [e.date, e.hours]));
          await manager.query(
            `INSERT INTO ${s}.capacity_rules (workshop_id, stream_version, process, kind, from_day, until_day, hours_per_day, exceptions)
             VALUES ($1, $2, $3, 'declared', $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
            [d.workshopId, event.streamVersion, d.process, d.from, d.until ?? null, d.hoursPerDay, JSON.stringify(exceptions)],
          );
          return;
        }
        case 'CapacityWithdrawn': {
          const d = dataOf<CapacityWithdrawn>(event);
          await manager.query(
            `INSERT INTO ${s}.capacity_rules (workshop_id, stream_version, process, kind, from_day, until_day, hours_per_day)
             VALUES ($1, $2, $3, 'withdrawn', $4, $5, 0) ON CONFLICT DO NOTHING`,
            [d.workshopId, event.streamVersion, d.process, d.from, d.until],
          );
          return;
        }
        case 'WorkshopSuspended': {
          const d = dataOf<WorkshopSuspended>(event);
          await manager.query(`UPDATE ${s}.workshops SET status = 'suspended', suspended_reason = $2, updated_at = $3 WHERE workshop_id = $1`, [d.workshopId, d.reason, event.occurredAt]);
          return;
        }
        case 'WorkshopReinstated':
          await manager.query(`UPDATE ${s}.workshops SET status = 'active', suspended_reason = NULL, updated_at = $2 WHERE workshop_id = $1`, [workshopIdOf(event), event.occurredAt]);
          return;
      }
    },
    async reset(manager: EntityManager): Promise<void> {
      await manager.query(`TRUNCATE ${s}.workshops, ${s}.capacity_rules`);
    },
  };
}
