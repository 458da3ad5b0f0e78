import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { NotFound } from '#libs/domain';
import { Public } from '#libs/platform';
import { SandboxPaymentDto, SandboxPaymentViewDto } from './sandbox-provider.dto.js';
import type { SandboxPaymentProvider } from './sandbox-provider.js';

export const SANDBOX = Symbol('SANDBOX_PAYMENT_PROVIDER');

/** The sandbox's own "checkout": public, like a provider's payment page (the payer authenticates with the provider, not with Meshfab). */
@Controller('sandbox-provider')
@Public()
export class SandboxProviderController {
  constructor(@Inject(SANDBOX) private readonly sandbox: SandboxPaymentProvider) {}

  /** Pays a funding intent's reference; the provider then sends the network its signed webhook. */
  @Post('payments')
  @HttpCode(202)
  pay(@Body() body: SandboxPaymentDto): SandboxPaymentViewDto {
    return this.sandbox.pay({ reference: body.reference, amount: { amountMinor: body.amount.amountMinor, currency: body.amount.currency }, transactionId: body.transactionId, method: body.method });
  }

  /** A payment and its webhook's delivery status. */
  @Get('payments/:transactionId')
  payment(@Param('transactionId') transactionId: string): SandboxPaymentViewDto {
    const payment = this.sandbox.payment(transactionId);
    if (!payment) throw new NotFound('sandbox_payment', transactionId);
    return payment;
  }
}

