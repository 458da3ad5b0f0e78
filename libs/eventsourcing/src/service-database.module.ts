import { Module, type DynamicModule, type OnApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { Checkpoints } from './checkpoints.js';
import { DeadLetters } from './dead-letters.js';
import { EventLog } from './event-log.js';
import { EventStore } from './event-store.js';
import { IdempotencyKeys } from './idempotency.js';
import { Inbox } from './inbox.js';
import { openServiceDatabase, type ServiceDatabaseOptions } from './service-database.js';
import { Upcasters, type Upcaster } from './upcasting.js';

/** Everything a service keeps in its own PostgreSQL schema, opened and migrated at start-up. */
export class ServiceDatabase {
  readonly store: EventStore;
  readonly log: EventLog;
  readonly checkpoints: Checkpoints;
  readonly inbox: Inbox;
  readonly deadLetters: DeadLetters;
  readonly idempotency: IdempotencyKeys;

  constructor(
    readonly dataSource: DataSource,
    readonly schema: string,
    upcasters: Upcasters = new Upcasters(),
  ) {
    this.store = new EventStore(dataSource, schema, upcasters);
    this.log = new EventLog(dataSource, schema, upcasters);
    this.checkpoints = new Checkpoints(dataSource, schema);
    this.inbox = new Inbox(dataSource, schema);
    this.deadLetters = new DeadLetters(dataSource, schema);
    this.idempotency = new IdempotencyKeys(dataSource, schema);
  }

  static async open(options: ServiceDatabaseOptions & { upcasters?: Upcaster[] }): Promise<ServiceDatabase> {
    const dataSource = await openServiceDatabase(options);
    return new ServiceDatabase(dataSource, options.schema, new Upcasters(options.upcasters));
  }

  /** Wakes `listener` after every append to this service's store in this process. */
  onAppend(listener: () => void): () => void {
    return this.store.onAppend(listener);
  }

  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

export interface ServiceDatabaseModuleOptions extends Omit<ServiceDatabaseOptions, 'applicationName'> {
  upcasters?: Upcaster[];
}

@Injectable()
class ServiceDatabaseCloser implements OnApplicationShutdown {
  constructor(@Inject(ServiceDatabase) private readonly db: ServiceDatabase) {}
  async onApplicationShutdown(): Promise<void> {
    await this.db.close();
  }
}

/** Provides the service's `ServiceDatabase`; each service module imports its own. */
@Module({})
export class ServiceDatabaseModule {
  static forService(options: ServiceDatabaseModuleOptions): DynamicModule {
    return {
      module: ServiceDatabaseModule,
      providers: [{ provide: ServiceDatabase, useFactory: () => ServiceDatabase.open(options) }, ServiceDatabaseCloser],
      exports: [ServiceDatabase],
    };
  }
}
