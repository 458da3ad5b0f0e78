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
import { EVIDENCE_STORAGE, PostgresEvidenceStorage } from './evidence/evidence-storage.js';
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
        { provide: EVIDENCE_STORAGE, useValue: new PostgresEvidenceStorage(schema) },
        InspectionLotsService,
        InspectionMetrics,
      ],
    };
  }
}
