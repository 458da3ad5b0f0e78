import { Controller, Inject, Logger } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { EventEnvelope, QuoteAcceptedContract } from '#libs/contracts';
import { DomainError } from '#libs/domain';
import { EventContext, OnEvent } from '#libs/messaging';
import { OrderCommands } from './order-commands.service.js';

/**
 * A brand accepted a quote (matching's `QuoteAccepted`): the order is placed under the id the quote
 * gave it, with `quoteId`, so matching books the quoted lots at the quoted prices.
 */
@Controller()
export class QuoteAcceptedConsumer {
  private readonly log = new Logger(QuoteAcceptedConsumer.name);
  constructor(@Inject(OrderCommands) private readonly commands: OrderCommands) {}

  @OnEvent('orders', 'QuoteAccepted')
  async onQuoteAccepted(@Payload() e: EventEnvelope<QuoteAcceptedContract>, @Ctx() ctx: EventContext): Promise<void> {
    const { request: r, orderId, brandId, quoteId } = e.data;
    const order = {
      orderId,
      brandId,
      sku: r.sku,
      productName: r.productName,
      ...(r.designFiles ? { designFiles: r.designFiles } : {}),
      quantity: r.quantity,
      unit: r.unit,
      dueDate: new Date(r.dueDate).toISOString(),
      delivery: { ...r.delivery },
      route: r.route.map((s) => ({ ...s, parameters: s.parameters ?? {}, dependsOn: s.dependsOn ?? [] })),
      splitPolicy: { ...r.splitPolicy },
      ...(r.budget ? { budget: { amountMinor: r.budget.amountMinor, currency: r.budget.currency } } : {}),
      quoteId,
    };
    try {
      await this.commands.submitQuoted(order, ctx.metadata, ctx.manager);
    } catch (error) {
      // The order's own rules (route limits, the process catalogue) refuse it: no retry changes that.
      if (!(error instanceof DomainError) || error.kind !== 'invalid') throw error;
      this.log.warn(`quote ${quoteId}: order ${orderId} refused: ${error.message}`);
    }
  }
}
