import { Controller, Inject, Injectable } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { EntityManager } from 'typeorm';
import type { BrandRegisteredContract, EventEnvelope } from '#libs/contracts';
import { ident, ServiceDatabase } from '#libs/eventsourcing';
import { EventContext, OnEvent } from '#libs/messaging';

/**
 * The one thing of a brand's identity a workshop may see: its display name (the name it was registered
 * under at the registry), kept from the registry's `BrandRegistered` in `brand_display_names`.
 */
@Injectable()
export class BrandDisplayNames {
  private readonly table: string;

  constructor(@Inject(ServiceDatabase) private readonly db: ServiceDatabase) {
    this.table = `${ident(db.schema)}.brand_display_names`;
  }

  async record(brandId: string, name: string, manager: EntityManager): Promise<void> {
    await manager.query(`INSERT INTO ${this.table} (brand_id, display_name) VALUES ($1, $2) ON CONFLICT (brand_id) DO UPDATE SET display_name = EXCLUDED.display_name`, [brandId, name]);
  }

  /** Null while the registry's event has not arrived (or the brand was registered elsewhere). */
  async of(brandId: string): Promise<string | null> {
    const rows: { display_name: string }[] = await this.db.dataSource.query(`SELECT display_name FROM ${this.table} WHERE brand_id = $1`, [brandId]);
    return rows[0]?.display_name ?? null;
  }
}

@Controller()
export class BrandDisplayNamesConsumer {
  constructor(@Inject(BrandDisplayNames) private readonly names: BrandDisplayNames) {}

  @OnEvent('orders', 'BrandRegistered')
  async onBrandRegistered(@Payload() e: EventEnvelope<BrandRegisteredContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.names.record(e.data.brandId, e.data.name, ctx.manager);
  }
}
