import { Inject, Injectable } from '@nestjs/common';
import { CommandHandler, ServiceDatabase } from '#libs/eventsourcing';
import type { JSONWebKeySet } from 'jose';
import type { TokenIssuer } from '#libs/platform';
import { brandDecider } from './brand/domain/brand.decider.js';
import type { TokenSeal } from './member/sealed-token.js';
import { inspectorDecider } from './inspector/domain/inspector.decider.js';
import { bootstrapCredentialDecider, operatorDecider } from './operator/domain/operator.decider.js';
import { membersProjection } from './member/members.projection.js';
import { inspectorQualityDecider } from './quality-record/domain/inspector-quality.decider.js';
import { qualityRecordDecider } from './quality-record/domain/quality-record.decider.js';
import { qualityRecordProjection } from './quality-record/quality-record.projection.js';
import { serviceCredentialDecider } from './service-credential/domain/service-credential.decider.js';
import type { RegistryConfig } from './registry.config.js';
import { workshopDecider } from './workshop/domain/workshop.decider.js';
import { workshopProfileProjection } from './workshop/workshop-profile.projection.js';

export const REGISTRY_SETTINGS = Symbol('REGISTRY_SETTINGS');

export interface RegistrySettings {
  config: RegistryConfig;
  clock: () => Date;
  tokens: TokenIssuer;
  /** Seals the tokens of registration answers kept for Idempotency-Key replays. */
  seal: TokenSeal;
  /** The public keys published at /registry/.well-known/jwks.json. */
  keySet: JSONWebKeySet;
}

export const workshopStream = (workshopId: string): string => `workshop-${workshopId}`;
export const brandStream = (brandId: string): string => `brand-${brandId}`;
export const inspectorStream = (inspectorId: string): string => `inspector-${inspectorId}`;
export const operatorStream = (operatorId: string): string => `operator-${operatorId}`;
export const serviceCredentialStream = (serviceCredentialId: string): string => `service-credential-${serviceCredentialId}`;
export const BOOTSTRAP_CREDENTIAL_STREAM = 'bootstrap-credential';
export const qualityRecordStream = (workshopId: string, process: string): string => `quality-${workshopId}:${process}`;
/** Snapshot every 100 events; a new name when QualityRecordState changes shape. */
export const QUALITY_RECORD_SNAPSHOTS = { name: 'quality-record@1', every: 100 } as const;
export const INSPECTOR_QUALITY_SNAPSHOTS = { name: 'inspector-quality@1', every: 100 } as const;

/** The registry's streams: load → decide → append, with the read models updated in the same transaction. */
@Injectable()
export class RegistryStreams {
  readonly workshops;
  readonly brands;
  readonly inspectors;
  readonly operators;
  readonly serviceCredentials;
  readonly bootstrapCredential;
  readonly qualityRecords;
  /** Each inspector's own record (results, disputed, overturned, re-inspections): read by loading its stream. */
  readonly inspectorQuality;
  readonly schema: string;

  constructor(
    readonly db: ServiceDatabase,
    @Inject(REGISTRY_SETTINGS) readonly settings: RegistrySettings,
  ) {
    this.schema = db.schema;
    const members = membersProjection(db.schema);
    this.workshops = new CommandHandler(db.dataSource, db.store, workshopDecider, { projections: [members, workshopProfileProjection(db.schema)] });
    this.brands = new CommandHandler(db.dataSource, db.store, brandDecider, { projections: [members] });
    this.inspectors = new CommandHandler(db.dataSource, db.store, inspectorDecider, { projections: [members] });
    this.operators = new CommandHandler(db.dataSource, db.store, operatorDecider, { projections: [members] });
    this.serviceCredentials = new CommandHandler(db.dataSource, db.store, serviceCredentialDecider, { projections: [members] });
    this.bootstrapCredential = new CommandHandler(db.dataSource, db.store, bootstrapCredentialDecider, { projections: [members] });
    // A quality record grows for as long as the workshop works: loads start from a snapshot.
    this.qualityRecords = new CommandHandler(db.dataSource, db.store, qualityRecordDecider, {
      projections: [qualityRecordProjection(db.schema)],
      snapshots: QUALITY_RECORD_SNAPSHOTS,
    });
    this.inspectorQuality = new CommandHandler(db.dataSource, db.store, inspectorQualityDecider, { snapshots: INSPECTOR_QUALITY_SNAPSHOTS });
  }

  now(): string {
    return this.settings.clock().toISOString();
  }
}
