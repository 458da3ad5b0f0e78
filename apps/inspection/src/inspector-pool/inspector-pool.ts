import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ident, ServiceDatabase } from '#libs/eventsourcing';
import type { InspectorCandidate } from '../inspection-lot/domain/inspector-assignment.js';

export interface InspectorDeclaration {
  inspectorId: string;
  processes: readonly string[];
  regions: readonly string[];
  affiliations: readonly string[];
  at: string;
}

/**
 * Inspection's own read model of the registry's inspectors (from InspectorRegistered / InspectorProfileUpdated),
 * of workshops' regions (WorkshopRegistered / WorkshopProfileUpdated) and of the brands' nominated inspectors:
 * what an assignment is decided from. Regions are compared case-insensitively (kept lower-case).
 */
@Injectable()
export class InspectorPool {
  private readonly s: string;

  constructor(@Inject(ServiceDatabase) private readonly db: ServiceDatabase) {
    this.s = ident(db.schema);
  }

  async declare(d: InspectorDeclaration, manager: EntityManager): Promise<void> {
    await manager.query(
      `INSERT INTO ${this.s}.inspectors (inspector_id, processes, regions, affiliations, updated_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (inspector_id) DO UPDATE SET processes = $2, regions = $3, affiliations = $4, updated_at = $5`,
      [d.inspectorId, d.processes, d.regions.map((r) => r.toLowerCase()), d.affiliations, d.at],
    );
  }

  async workshopRegion(workshopId: string, region: string | undefined, manager: EntityManager): Promise<void> {
    await manager.query(`INSERT INTO ${this.s}.workshop_regions (workshop_id, region) VALUES ($1, $2) ON CONFLICT (workshop_id) DO UPDATE SET region = $2`, [
      workshopId,
      region?.toLowerCase() ?? null,
    ]);
  }

  /** A suspended inspector is no candidate for any lot until reinstated (MemberSuspended / MemberReinstated). */
  async suspend(inspectorId: string, suspended: boolean, manager: EntityManager): Promise<void> {
    await manager.query(`UPDATE ${this.s}.inspectors SET suspended = $2 WHERE inspector_id = $1`, [inspectorId, suspended]);
  }

  /** Inspectors certified for `process` and not suspended, with their load: lots assigned to them and not yet inspected. */
  async candidates(process: string, manager: EntityManager = this.db.dataSource.manager): Promise<InspectorCandidate[]> {
    const rows: { inspector_id: string; processes: string[]; regions: string[]; affiliations: string[]; open_lots: number }[] = await manager.query(
      `SELECT i.inspector_id, i.processes, i.regions, i.affiliations,
              (SELECT count(*)::int FROM ${this.s}.inspection_lots l WHERE l.assigned_inspector_id = i.inspector_id AND l.assignment_due_at IS NOT NULL) AS open_lots
         FROM ${this.s}.inspectors i WHERE $1 = ANY(i.processes) AND NOT i.suspended ORDER BY i.inspector_id`,
      [process],
    );
    return rows.map((r) => ({ inspectorId: r.inspector_id, processes: r.processes, regions: r.regions, affiliations: r.affiliations, openLots: r.open_lots }));
  }

  async regionOf(workshopId: string, manager: EntityManager = this.db.dataSource.manager): Promise<string | null> {
    const rows: { region: string | null }[] = await manager.query(`SELECT region FROM ${this.s}.workshop_regions WHERE workshop_id = $1`, [workshopId]);
    return rows[0]?.region ?? null;
  }

  async nomineeOf(brandId: string, manager: EntityManager = this.db.dataSource.manager): Promise<string | null> {
    const rows: { inspector_id: string }[] = await manager.query(`SELECT inspector_id FROM ${this.s}.brand_inspectors WHERE brand_id = $1`, [brandId]);
    return rows[0]?.inspector_id ?? null;
  }

  async affiliationsOf(inspectorId: string, manager: EntityManager = this.db.dataSource.manager): Promise<string[] | undefined> {
    const rows: { affiliations: string[] }[] = await manager.query(`SELECT affiliations FROM ${this.s}.inspectors WHERE inspector_id = $1`, [inspectorId]);
    return rows[0]?.affiliations;
  }
}
