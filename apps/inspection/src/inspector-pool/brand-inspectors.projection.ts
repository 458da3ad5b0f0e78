import type { EntityManager } from 'typeorm';
import { ident, type Projection, type StoredEvent } from '#libs/eventsourcing';
import type { BrandInspectorNamed } from './domain/brand-inspector.decider.js';

/** Read model `brand_inspectors`: the inspector each brand named for its orders. */
export function brandInspectorsProjection(schema: string): Projection {
  const s = ident(schema);
  return {
    name: 'brand-inspectors',
    handles: ['BrandInspectorNamed', 'BrandInspectorCleared'],
    async apply(event: StoredEvent, manager: EntityManager): Promise<void> {
      if (event.type === 'BrandInspectorNamed') {
        const d = event.data as unknown as BrandInspectorNamed['data'];
        await manager.query(
          `INSERT INTO ${s}.brand_inspectors (brand_id, inspector_id, named_at, named_by) VALUES ($1, $2, $3, $4)
           ON CONFLICT (brand_id) DO UPDATE SET inspector_id = $2, named_at = $3, named_by = $4`,
          [d.brandId, d.inspectorId, d.namedAt, d.by],
        );
      } else {
        await manager.query(`DELETE FROM ${s}.brand_inspectors WHERE brand_id = $1`, [(event.data as { brandId: string }).brandId]);
      }
    },
    async reset(manager: EntityManager): Promise<void> {
      await manager.query(`TRUNCATE ${s}.brand_inspectors`);
    },
  };
}
