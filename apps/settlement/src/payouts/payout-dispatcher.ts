import { Inject, Injectable, Logger, Optional, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { PAYOUT_RAIL, type PayoutRail } from './payout-rail.js';
import { PayoutService } from './payout.service.js';

export const PAYOUT_DISPATCH = Symbol('PAYOUT_DISPATCH');

export interface PayoutDispatchSettings {
  intervalMs: number;
  /** An instruction the provider has not confirmed for this long is sent again. */
  resendAfterMs: number;
}

/**
 * Hands requested payouts to the payout rail, oldest first, and records each instruction the rail took.
 * The `payouts` read model is the outbox: a payout stays `requested` until its instruction is recorded,
 * so a crash between the provider's answer and the record sends the instruction again, which the rail
 * must take idempotently (the payout id is the key); so does an instruction the provider has not
 * confirmed after `resendAfterMs`. Held payouts are not sent. Without a rail
 * (no payout provider configured) payouts wait for an operator to reconcile them with the bank.
 */
@Injectable()
export class PayoutDispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('settlement.payouts');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    @Inject(PayoutService) private readonly payouts: PayoutService,
    @Inject(PAYOUT_DISPATCH) private readonly settings: PayoutDispatchSettings,
    @Optional() @Inject(PAYOUT_RAIL) private readonly rail?: PayoutRail,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.rail) return;
    this.timer = setInterval(() => this.kick(), this.settings.intervalMs);
    this.timer.unref?.();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** Runs a dispatch round now unless one is running (called on a timer and after each request). */
  kick(): void {
    if (!this.rail || this.running || this.stopped) return;
    this.running = this.dispatch(this.rail)
      .catch((error: unknown) => this.logger.warn(`payout dispatch failed: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => {
        this.running = undefined;
      });
  }

  private async dispatch(rail: PayoutRail): Promise<void> {
    for (const payout of await this.payouts.toInstruct(50, this.settings.resendAfterMs)) {
      if (this.stopped) return;
      const { instructionId } = await rail.instruct(payout);
      await this.payouts.recordInstruction(payout.payoutId, rail.name, instructionId);
    }
  }
}
