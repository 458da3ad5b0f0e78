import { eventually, type MeshfabClient } from './meshfab-client.js';

export interface FundedIntent {
  intentId: string;
  reference: string;
  status: string;
  amount: { amountMinor: number; currency: string };
  received: { amountMinor: number; currency: string };
  /** The sandbox provider's id of the payment that funded the intent. */
  transactionId: string;
}

/**
 * How a brand puts money on the network (issue 16): it creates a funding intent, pays it through the
 * sandbox payment provider quoting the intent's reference, and waits until the provider's signed webhook
 * has been confirmed and the intent is funded. The same `key` again is the same intent and the same
 * provider transaction: retrying never pays twice. While it waits, it pays the same transaction again
 * every few seconds: the sandbox keeps its payments in the memory of the settlement process that took
 * them, so one that stopped before its webhook got through (killed, restarted) forgets it; the network
 * credits a transaction once, whichever delivery arrives.
 */
/** How long a payment may take to be confirmed before the brand pays the same transaction again. */
const REPAY_AFTER_MS = 5_000;

export async function fundThroughSandbox(client: MeshfabClient, brandToken: string, amountMinor: number, key: string, currency = 'CNY', timeoutMs = 30_000): Promise<FundedIntent> {
  const intent = await client.post<FundedIntent>('/settlement/funding-intents', brandToken, { amount: { amountMinor, currency } }, key);
  const transactionId = `sbx-${intent.intentId}`;
  const pay = () => client.post('/sandbox-provider/payments', brandToken, { reference: intent.reference, amount: { amountMinor, currency }, transactionId });
  await pay();
  let paidAt = Date.now();
  return eventually(
    `funding intent ${intent.intentId} funded through the sandbox provider`,
    async () => {
      const now = await client.get<FundedIntent>(`/settlement/funding-intents/${intent.intentId}`, brandToken);
      if (now.status === 'funded') return { ...now, transactionId };
      if (Date.now() - paidAt > REPAY_AFTER_MS) {
        paidAt = Date.now();
        await pay();
      }
      return undefined;
    },
    timeoutMs,
    25,
  );
}
