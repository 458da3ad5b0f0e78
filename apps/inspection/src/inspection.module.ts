import { Module, type DynamicModule } from '@nestjs/common';
import { ServiceDatabaseModule } from '#libs/eventsourcing';
import { loadConfig, ObservabilityModule } from '#libs/platform';
import type { ServiceModuleOptions } from '#libs/runtime';
import { INSPECTION_CLOCK, INSPECTION_CONFIG, InspectionConfig, SAMPLING_TABLES } from './config.js';
import { inspectionMigrations } from './inspection.migrations.js';
import { InspectionLotsController } from './inspection-lot/inspection-lots.controller.js';
import { InspectionLotsService } from './inspection-lot/inspection-lots.service.js';
import { SubtaskCompletedConsumer } from './inspection-lot/subtask-completed.consumer.js';
import { EvidenceController } from './evidence/evidence.controller.js';
import { EVIDENCE_STORAGE, PostgresEvidenceStorage, type EvidenceStorage } from './evidence/evidence-storage.js';
import { S3EvidenceStorage } from './evidence/s3-evidence-storage.js';
import { S3ObjectStore } from './evidence/s3-object-store.js';
import { BrandInspectorController } from './inspector-pool/brand-inspector.controller.js';
import { InspectorPool } from './inspector-pool/inspector-pool.js';
import { RegistryEventsConsumer } from './inspector-pool/registry-events.consumer.js';
import { SamplingPlansController } from './sampling/sampling-plans.controller.js';
import { samplingTables } from './sampling/sampling-tables.js';
import { WorkshopSeverityController } from './switching-state/workshop-severity.controller.js';
import { InspectionMetrics } from './inspection-lot/inspection.metrics.js';

/** Inspection: ISO 2859-1 sampling plans, inspection lots and their results, switching rules per workshop+process. */
@Module({})
export class InspectionModule {
  static forRoot(options: ServiceModuleOptions): DynamicModule {
    const config = loadConfig(InspectionConfig, options.env);
    const schema = options.env.MESHFAB_INSPECTION_SCHEMA ?? config.MESHFAB_INSPECTION_SCHEMA;
    return {
      module: InspectionModule,
      imports: [
        ServiceDatabaseModule.forService({ url: options.databaseUrl, schema, migrations: inspectionMigrations(schema), ...options.pool }),
        ObservabilityModule,
      ],
      controllers: [SamplingPlansController, InspectionLotsController, WorkshopSeverityController, BrandInspectorController, EvidenceController, SubtaskCompletedConsumer, RegistryEventsConsumer],
      providers: [
        { provide: INSPECTION_CONFIG, useValue: config },
        { provide: INSPECTION_CLOCK, useValue: options.clock ?? (() => new Date()) },
        { provide: SAMPLING_TABLES, useFactory: () => samplingTables() },
        InspectorPool,
        { provide: EVIDENCE_STORAGE, useValue: evidenceStorage(config, schema) },
        InspectionLotsService,
        InspectionMetrics,
      ],
    };
  }
}

/** PostgreSQL by default; the S3-compatible store when MESHFAB_INSPECTION_EVIDENCE_S3_ENDPOINT is set (validated as a whole). */
function evidenceStorage(config: InspectionConfig, schema: string): EvidenceStorage {
  const endpoint = config.MESHFAB_INSPECTION_EVIDENCE_S3_ENDPOINT;
  if (!endpoint) return new PostgresEvidenceStorage(schema);
  return new S3EvidenceStorage(
    schema,
    new S3ObjectStore({
      endpoint,
      bucket: config.MESHFAB_INSPECTION_EVIDENCE_S3_BUCKET ?? '',
      region: config.MESHFAB_INSPECTION_EVIDENCE_S3_REGION,
      accessKeyId: config.MESHFAB_INSPECTION_EVIDENCE_S3_ACCESS_KEY_ID ?? '',
      secretAccessKey: config.MESHFAB_INSPECTION_EVIDENCE_S3_SECRET_ACCESS_KEY ?? '',
      pathStyle: config.MESHFAB_INSPECTION_EVIDENCE_S3_PATH_STYLE,
    }),
  );
}
