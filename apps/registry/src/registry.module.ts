import { Module, type DynamicModule } from '@nestjs/common';
import { ServiceDatabaseModule } from '#libs/eventsourcing';
import { loadConfig, ObservabilityModule, TOKEN_REVOCATION, TokenIssuer } from '#libs/platform';
import type { ServiceModuleOptions } from '#libs/runtime';
import { BrandsController } from './brand/brands.controller.js';
import { InspectorsController } from './inspector/inspectors.controller.js';
import { JwksController } from './member/jwks.controller.js';
import { OperatorsController } from './operator/operators.controller.js';
import { MemberCredentials } from './member/member-credentials.js';
import { TokenSeal } from './member/sealed-token.js';
import { MemberTokensController } from './member/member-tokens.controller.js';
import { MemberSuspensionController } from './member/member-suspension.controller.js';
import { ServiceCredentialsController } from './service-credential/service-credentials.controller.js';
import { DeliveriesConsumer } from './quality-record/deliveries.consumer.js';
import { InspectionResultsConsumer } from './quality-record/inspection-results.consumer.js';
import { RegistryConfig } from './registry.config.js';
import { REGISTRY_SETTINGS, RegistryStreams, type RegistrySettings } from './registry.context.js';
import { registryMigrations } from './registry.migrations.js';
import { WorkshopQueries } from './workshop/workshop-queries.js';
import { WorkshopsController } from './workshop/workshops.controller.js';

/**
 * The registry: brands, workshops and inspectors (members and their tokens), workshop profiles, capabilities and
 * shared capacity, suspension, and quality records from inspection results and matching's completions. Routes under /registry.
 */
@Module({})
export class RegistryModule {
  static forRoot(options: ServiceModuleOptions): DynamicModule {
    const config = loadConfig(RegistryConfig, options.env);
    if (!options.signing) throw new Error('the registry issues tokens and needs a signing key (ServiceModuleOptions.signing)');
    const settings: RegistrySettings = {
      config,
      clock: options.clock ?? (() => new Date()),
      tokens: new TokenIssuer(options.signing.key, options.clock ? { now: options.clock } : {}),
      keySet: options.signing.keySet,
      seal: new TokenSeal(options.signing.key.privateKey),
    };
    return {
      module: RegistryModule,
      imports: [
        ServiceDatabaseModule.forService({ url: options.databaseUrl, schema: config.MESHFAB_REGISTRY_SCHEMA, migrations: registryMigrations(config.MESHFAB_REGISTRY_SCHEMA), ...options.pool }),
        ObservabilityModule,
      ],
      controllers: [JwksController, OperatorsController, BrandsController, InspectorsController, WorkshopsController, MemberTokensController, MemberSuspensionController, ServiceCredentialsController, InspectionResultsConsumer, DeliveriesConsumer],
      providers: [
        { provide: REGISTRY_SETTINGS, useValue: settings },
        RegistryStreams,
        MemberCredentials,
        { provide: TOKEN_REVOCATION, useExisting: MemberCredentials },
        WorkshopQueries,
      ],
      exports: [TOKEN_REVOCATION],
    };
  }
}
