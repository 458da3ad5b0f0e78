import type { EntityManager } from 'typeorm';
import { ident, type Projection, type StoredEvent } from '#libs/eventsourcing';
import { BOOTSTRAP_OPERATOR_ID, BOOTSTRAP_TOKEN_ID } from '#libs/platform';
import type { BrandRegistered } from '../brand/domain/brand.events.js';
import type { InspectorProfileUpdated, InspectorRegistered } from '../inspector/domain/inspector.events.js';
import type { BootstrapCredentialDisabled, OperatorRegistered } from '../operator/domain/operator.events.js';
import type { ServiceCredentialRegistered } from '../service-credential/domain/service-credential.events.js';
import type { WorkshopProfileUpdated, WorkshopRegistered } from '../workshop/domain/workshop.events.js';
import type { MemberReinstated, MemberSuspended } from './domain/member-suspension.js';
import type { MemberRole, MemberTokenIssued, MemberTokenRevoked } from './domain/member-tokens.js';

const dataOf = <E extends { data: object }>(event: StoredEvent): E['data'] => event.data;

/** Read model `members` (who is a brand, a workshop, an inspector, an operator) and `member_tokens` (issued and revoked token ids). */
export function membersProjection(schema: string): Projection {
  const s = ident(schema);
  return {
    name: 'members',
    handles: ['BrandRegistered', 'InspectorRegistered', 'InspectorProfileUpdated', 'OperatorRegistered', 'BootstrapCredentialDisabled', 'WorkshopRegistered', 'WorkshopProfileUpdated', 'MemberTokenIssued', 'MemberTokenRevoked', 'MemberSuspended', 'MemberReinstated', 'ServiceCredentialRegistered'],
    async apply(event: StoredEvent, manager: EntityManager): Promise<void> {
      switch (event.type) {
        case 'BrandRegistered': {
          const d = dataOf<BrandRegistered>(event);
          await manager.query(`INSERT INTO ${s}.members (member_id, role, name, contact_email, registered_at) VALUES ($1, 'brand', $2, $3, $4) ON CONFLICT DO NOTHING`, [
            d.brandId, d.name, d.contactEmail ?? null, d.registeredAt,
          ]);
          return;
        }
        case 'InspectorRegistered': {
          const d = dataOf<InspectorRegistered>(event);
          await manager.query(
            `INSERT INTO ${s}.members (member_id, role, name, certifications, registered_at) VALUES ($1, 'inspector', $2, $3, $4) ON CONFLICT DO NOTHING`,
            [d.inspectorId, d.name, d.certifications, d.registeredAt],
          );
          return;
        }
        case 'InspectorProfileUpdated': {
          const d = dataOf<InspectorProfileUpdated>(event);
          await manager.query(`UPDATE ${s}.members SET certifications = $2 WHERE member_id = $1`, [d.inspectorId, d.certifications]);
          return;
        }
        case 'OperatorRegistered': {
          const d = dataOf<OperatorRegistered>(event);
          await manager.query(`INSERT INTO ${s}.members (member_id, role, name, contact_email, registered_at) VALUES ($1, 'operator', $2, $3, $4) ON CONFLICT DO NOTHING`, [
            d.operatorId, d.name, d.contactEmail ?? null, d.registeredAt,
          ]);
          return;
        }
        case 'ServiceCredentialRegistered': {
          const d = dataOf<ServiceCredentialRegistered>(event);
          await manager.query(`INSERT INTO ${s}.members (member_id, role, name, registered_at) VALUES ($1, 'service', $2, $3) ON CONFLICT DO NOTHING`, [
            d.serviceCredentialId,
            d.name,
            d.registeredAt,
          ]);
          return;
        }
        case 'BootstrapCredentialDisabled': {
          // The bootstrap credential as a revoked token: the registry's own revocation check refuses it from now on.
          const d = dataOf<BootstrapCredentialDisabled>(event);
          await manager.query(
            `INSERT INTO ${s}.member_tokens (token_id, member_id, issued_at, expires_at, revoked_at, revoked_why) VALUES ($1, $2, $3, 'infinity', $3, 'disabled')
             ON CONFLICT (token_id) DO UPDATE SET revoked_at = EXCLUDED.revoked_at, revoked_why = 'disabled'`,
            [BOOTSTRAP_TOKEN_ID, BOOTSTRAP_OPERATOR_ID, d.disabledAt],
          );
          return;
        }
        case 'WorkshopRegistered': {
          const d = dataOf<WorkshopRegistered>(event);
          await manager.query(`INSERT INTO ${s}.members (member_id, role, name, registered_at) VALUES ($1, 'workshop', $2, $3) ON CONFLICT DO NOTHING`, [d.workshopId, d.name, d.registeredAt]);
          return;
        }
        case 'WorkshopProfileUpdated': {
          const d = dataOf<WorkshopProfileUpdated>(event);
          await manager.query(`UPDATE ${s}.members SET name = $2 WHERE member_id = $1`, [d.workshopId, d.name]);
          return;
        }
        case 'MemberTokenIssued': {
          const d = dataOf<MemberTokenIssued>(event);
          await manager.query(`INSERT INTO ${s}.member_tokens (token_id, member_id, issued_at, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, [
            d.tokenId, d.memberId, d.issuedAt, d.expiresAt,
          ]);
          return;
        }
        case 'MemberSuspended': {
          const d = dataOf<MemberSuspended>(event);
          await manager.query(`UPDATE ${s}.members SET suspended_at = $2 WHERE member_id = $1`, [d.memberId, d.suspendedAt]);
          return;
        }
        case 'MemberReinstated': {
          await manager.query(`UPDATE ${s}.members SET suspended_at = NULL WHERE member_id = $1`, [dataOf<MemberReinstated>(event).memberId]);
          return;
        }
        case 'MemberTokenRevoked': {
          const d = dataOf<MemberTokenRevoked>(event);
          await manager.query(`UPDATE ${s}.member_tokens SET revoked_at = $2, revoked_why = $3 WHERE token_id = $1 AND revoked_at IS NULL`, [d.tokenId, d.revokedAt, d.reason]);
          return;
        }
      }
    },
    async reset(manager: EntityManager): Promise<void> {
      await manager.query(`TRUNCATE ${s}.members, ${s}.member_tokens`);
    },
  };
}

export interface MemberRow {
  id: string;
  role: MemberRole;
  name: string;
  contactEmail: string | null;
  certifications: string[];
  registeredAt: string;
}

/** A member of this role from the read model, or undefined (another role's member is not one of these). */
export async function findMember(manager: EntityManager, schema: string, memberId: string, role: MemberRole): Promise<MemberRow | undefined> {
  const rows: { member_id: string; role: MemberRole; name: string; contact_email: string | null; certifications: string[] | null; registered_at: Date }[] = await manager.query(
    `SELECT member_id, role, name, contact_email, certifications, registered_at FROM ${ident(schema)}.members WHERE member_id = $1 AND role = $2`,
    [memberId, role],
  );
  const [row] = rows;
  if (!row) return undefined;
  return { id: row.member_id, role: row.role, name: row.name, contactEmail: row.contact_email, certifications: row.certifications ?? [], registeredAt: row.registered_at.toISOString() };
}
