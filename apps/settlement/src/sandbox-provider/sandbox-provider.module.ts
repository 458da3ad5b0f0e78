import { Inject, Injectable, Module, type DynamicModule, type OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PAYOUT_RAIL, type PayoutRail } from '../payouts/payout-rail.js';
import { SANDBOX, SandboxProviderController } from './sandbox-provider.controller.js';
import { SandboxPaymentProvider, type SandboxOptions } from './sandbox-provider.js';

@Injectable()
class SandboxLifecycle implements OnModuleDestroy {
  constructor(@Inject(SANDBOX) private readonly sandbox: SandboxPaymentProvider) {}
  onModuleDestroy(): void {
    this.sandbox.stop();
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
