// One order from start to payout through the typed client only (the README's example, run by
// test/e2e/generated-client.e2e-spec.ts): an operator registers a brand, a workshop and an inspector;
// the workshop shares capacity; the brand funds its account through the sandbox payment provider and
// orders; the workshop accepts, starts and completes the lot; the inspector passes it; the order
// completes and the workshop asks for its payout.
import { createMeshfabClient, ok, type Schemas } from '../src/index.js';

/** Asks `probe` again until it returns something (the network is event-driven: answers arrive a moment later). */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface FullOrderResult {
  order: Schemas['OrderViewDto'];
  lot: Schemas['InspectionLotViewDto'];
  funding: Schemas['FundingIntentDto'];
  payoutStatus: number;
}

export async function fullOrder(baseUrl: string, operatorToken: string): Promise<FullOrderResult> {
  const operator = createMeshfabClient(baseUrl, operatorToken);
  const today = new Date().toISOString().slice(0, 10);

  // Members: a brand, a workshop (cutting, priced per unit) and an inspector certified for cutting (the network
  // assigns each lot to an inspector certified for its process), each with its own token.
  const brandReg = ok(await operator.POST('/registry/brands', { body: { name: 'Typed Client Tees' }, params: { header: { 'Idempotency-Key': crypto.randomUUID() } } }));
  const workshopReg = ok(
    await operator.POST('/registry/workshops', {
      body: {
        name: 'Typed Client Cutting Room',
        location: { lat: 29.87, lng: 121.55, region: 'Zhejiang', city: 'Ningbo' },
        certifications: ['ISO 9001'],
        capabilities: [{ process: 'cutting', parameters: { materials: ['cotton'] }, efficiency: 1, pricing: 'per_unit', price: { amountMinor: 150, currency: 'CNY' } }],
      },
      params: { header: { 'Idempotency-Key': crypto.randomUUID() } },
    }),
  );
  const inspectorReg = ok(await operator.POST('/registry/inspectors', { body: { name: 'Typed Client QA', processes: ['cutting'] }, params: { header: { 'Idempotency-Key': crypto.randomUUID() } } }));
  const brand = createMeshfabClient(baseUrl, brandReg.token);
  const workshop = createMeshfabClient(baseUrl, workshopReg.token);
  const inspector = createMeshfabClient(baseUrl, inspectorReg.token);

  // Capacity: 8 hours a day of cutting from today.
  ok(await workshop.POST('/registry/workshops/{id}/capacity', { params: { path: { id: workshopReg.id } }, body: { action: 'declare', process: 'cutting', hoursPerDay: 8, from: today } }));

  // Funding: an intent, paid through the sandbox payment provider quoting its reference; funded once the provider's webhook is confirmed.
  const amount = { amountMinor: 1_000_000, currency: 'CNY' as const };
  const intent = ok(await brand.POST('/settlement/funding-intents', { body: { amount }, params: { header: { 'Idempotency-Key': crypto.randomUUID() } } }));
  const transactionId = `sbx-${intent.intentId}`;
  ok(await brand.POST('/sandbox-provider/payments', { body: { reference: intent.reference, amount, transactionId } }));
  const funding = await until('the funding intent to be funded', async () => {
    const now = ok(await brand.GET('/settlement/funding-intents/{intentId}', { params: { path: { intentId: intent.intentId } } }));
    return now.status === 'funded' ? now : undefined;
  });

  // The order: 100 T-shirts cut, inspected at level II, AQL 2.5.
  const submitted = ok(
    await brand.POST('/orders', {
      body: {
        sku: 'TEE-TYPED-M',
        productName: 'Organic cotton T-shirt',
        quantity: 100,
        unit: 'pcs',
        dueDate: new Date(Date.now() + 30 * 86_400_000).toISOString(),
        delivery: { lat: 30.27, lng: 120.15, city: 'Hangzhou' },
        route: [{ stepId: 'cut', process: 'cutting', workContentHoursPerUnit: 0.05, inspection: { level: 'II', aql: 2.5 } }],
      },
      params: { header: { 'Idempotency-Key': crypto.randomUUID() } },
    }),
  );
  const orderId = submitted.orderId;

  // The workshop's offer: accept, start (once the lot is funded and released), complete.
  const offer = await until('an offer for the order', async () => ok(await workshop.GET('/matching/offers')).items.find((o) => o.orderId === orderId));
  ok(await workshop.POST('/matching/offers/{id}/accept', { params: { path: { id: offer.subtaskId } } }));
  await until('the lot to start', async () => {
    const { response } = await workshop.POST('/matching/subtasks/{id}/start', { params: { path: { id: offer.subtaskId } } });
    return response.ok ? true : undefined;
  });
  ok(await workshop.POST('/matching/subtasks/{id}/complete', { params: { path: { id: offer.subtaskId } }, body: { goodQuantity: offer.quantity, scrapQuantity: 0 } }));

  // Inspection: the inspector examines the sample and finds nothing.
  const pending = await until('an inspection lot', async () =>
    ok(await inspector.GET('/inspection/lots', { params: { query: { subtaskId: offer.subtaskId } } })).items.find((l) => l.status === 'pending'),
  );
  ok(await inspector.POST('/inspection/lots/{id}/results', { params: { path: { id: pending.id } }, body: { sampled: pending.sampleSize, defects: { critical: 0, major: 0, minor: 0 } } }));
  const lot = ok(await inspector.GET('/inspection/lots/{id}', { params: { path: { id: pending.id } } }));

  // The order completes; the workshop is paid out what was released to it (net of the platform fee).
  const order = await until('the order to complete', async () => {
    const view = ok(await brand.GET('/orders/{id}', { params: { path: { id: orderId } } }));
    return view.status === 'completed' ? view : undefined;
  });
  const payoutStatus = await until('a payout', async () => {
    const { response } = await workshop.POST('/settlement/payouts', { body: { currency: 'CNY' }, params: { header: { 'Idempotency-Key': crypto.randomUUID() } } });
    return response.ok ? response.status : undefined;
  });
  return { order, lot, funding, payoutStatus };
}
