import { Body, Controller, Get, HttpCode, Inject, Injectable, Module, Param, Post, type DynamicModule, type OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Type } from 'class-transformer';
import { IsDefined, IsOptional, IsString, Length, ValidateNested } from 'class-validator';
import { NotFound } from '#libs/domain';
import { Public } from '#libs/platform';
import { PAYOUT_RAIL, type PayoutRail } from '../payouts/payout-rail.js';
import { PositiveMoneyDto } from '../settlement/settlement.dto.js';
import { SandboxPaymentProvider, type SandboxOptions } from './sandbox-provider.js';

export class SandboxPaymentDto {
  /** The funding intent's reference, as the payer would quote it. */
  @IsString()
  @Length(1, 200)
  reference!: string;

  @IsDefined()
  @ValidateNested()
  @Type(() => PositiveMoneyDto)
  amount!: PositiveMoneyDto;

  /** The provider's transaction id (generated when omitted); paying the same id twice is one payment. */
  @IsOptional()
  @IsString()
  @Length(1, 200)
  transactionId?: string;
}

const SANDBOX = Symbol('SANDBOX_PAYMENT_PROVIDER');

@Injectable()
class SandboxLifecycle implements OnModuleDestroy {
  constructor(@Inject(SANDBOX) private readonly sandbox: SandboxPaymentProvider) {}
  onModuleDestroy(): void {
    this.sandbox.stop();
  }
}

/** The sandbox's own "checkout": public, like a provider's payment page (the payer authenticates with the provider, not with Meshfab). */
@Controller('sandbox-provider')
@Public()
class SandboxProviderController {
  constructor(@Inject(SANDBOX) private readonly sandbox: SandboxPaymentProvider) {}

  @Post('payments')
  @HttpCode(202)
  pay(@Body() body: SandboxPaymentDto) {
    return this.sandbox.pay({ reference: body.reference, amount: { amountMinor: body.amount.amountMinor, currency: body.amount.currency }, transactionId: body.transactionId });
  }

  @Get('payments/:transactionId')
  payment(@Param('transactionId') transactionId: string) {
    const payment = this.sandbox.payment(transactionId);
    if (!payment) throw new NotFound('sandbox_payment', transactionId);
    return payment;
  }
}

/** Hosts the sandbox payment provider (money in, and the payout rail) beside settlement (MESHFAB_SETTLEMENT_SANDBOX_PROVIDER=true). */
@Module({})
export class SandboxProviderModule {
  static forRoot(options: Omit<SandboxOptions, 'webhookUrl'> & { webhookUrl?: string }): DynamicModule {
    return {
      module: SandboxProviderModule,
      controllers: [SandboxProviderController],
      providers: [
        {
          provide: SANDBOX,
          inject: [HttpAdapterHost],
          useFactory: (host: HttpAdapterHost) =>
            new SandboxPaymentProvider({
              ...options,
              webhookUrl: () => {
                if (options.webhookUrl) return options.webhookUrl;
                const address = (host.httpAdapter.getHttpServer() as Server).address() as AddressInfo | null;
                return `http://127.0.0.1:${address?.port ?? 0}/settlement/webhooks/sandbox`;
              },
            }),
        },
        SandboxLifecycle,
        {
          // The sandbox is the network's payout rail too: instructions go to it in-process.
          provide: PAYOUT_RAIL,
          inject: [SANDBOX],
          useFactory: (sandbox: SandboxPaymentProvider): PayoutRail => ({
            name: 'sandbox',
            instruct: async (instruction) => ({ instructionId: sandbox.instructPayout(instruction).transactionId }),
          }),
        },
      ],
      exports: [PAYOUT_RAIL],
    };
  }
}
