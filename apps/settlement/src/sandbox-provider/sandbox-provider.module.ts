import { Body, Controller, Get, HttpCode, Inject, Injectable, Module, Param, Post, type DynamicModule, type OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NotFound } from '#libs/domain';
import { Public } from '#libs/platform';
import { SandboxPaymentDto, SandboxPaymentViewDto } from './sandbox-provider.dto.js';
import { SandboxPaymentProvider, type SandboxOptions } from './sandbox-provider.js';

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

  /** Pays a funding intent's reference; the provider then sends the network its signed webhook. */
  @Post('payments')
  @HttpCode(202)
  pay(@Body() body: SandboxPaymentDto): SandboxPaymentViewDto {
    return this.sandbox.pay({ reference: body.reference, amount: { amountMinor: body.amount.amountMinor, currency: body.amount.currency }, transactionId: body.transactionId });
  }

  /** A payment and its webhook's delivery status. */
  @Get('payments/:transactionId')
  payment(@Param('transactionId') transactionId: string): SandboxPaymentViewDto {
    const payment = this.sandbox.payment(transactionId);
    if (!payment) throw new NotFound('sandbox_payment', transactionId);
    return payment;
  }
}

/** Hosts the sandbox payment provider beside settlement (MESHFAB_SETTLEMENT_SANDBOX_PROVIDER=true). */
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
      ],
    };
  }
}
