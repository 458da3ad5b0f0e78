// Lives of orders through the public HTTP APIs only: members join, brands fund and order two-step
// routes, workshops accept, make and rework; an inspector passes and fails lots; money moves.
import { randomUUID } from 'node:crypto';
import { fundThroughSandbox } from '../../apps/network/src/client/fund-brand.js';
import { eventually, type MeshfabClient } from '../../apps/network/src/client/meshfab-client.js';

type Json = Record<string, any>;

export interface Actors {
  operator: string;
}

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

/** The members one scenario creates; workshops by id, so whoever wins an offer can act on it. */
export class Members {
  readonly workshops = new Map<string, Json>();
  /** Inspector id → token: the network assigns each lot to one of them, who alone records its result. */
  readonly inspectors = new Map<string, string>();
  constructor(
    private readonly client: MeshfabClient,
    readonly actors: Actors,
  ) {}

  async brand(name: string, depositMinor: number): Promise<Json> {
    const brand = await this.client.post<Json>('/registry/brands', this.actors.operator, { name }, randomUUID());
    if (depositMinor > 0) await this.deposit(brand, depositMinor);
    return brand;
  }

  /** A funding intent paid through the sandbox payment provider (the same key again pays nothing more). */
  async deposit(brand: Json, amountMinor: number, key = randomUUID()): Promise<void> {
    await fundThroughSandbox(this.client, brand.token as string, amountMinor, key);
  }

  async workshop(name: string, process: string, pricing: 'per_unit' | 'per_hour', amountMinor: number, lng: number): Promise<Json> {
    const created = await this.client.post<Json>(
      '/registry/workshops',
      this.actors.operator,
      {
        name,
        location: { lat: 29.87, lng, region: 'Zhejiang', city: 'Ningbo' },
        certifications: ['ISO 9001'],
        capabilities: [{ process, parameters: { materials: ['cotton'] }, efficiency: 1, pricing, price: { amountMinor, currency: 'CNY' } }],
      },
      randomUUID(),
    );
    await this.client.post(`/registry/workshops/${created.id}/capacity`, created.token, { action: 'declare', process, hoursPerDay: 8, from: day(0) });
    this.workshops.set(created.id as string, created);
    return created;
  }

  /** An inspector certified for the route's processes, in every region, tied to no member. */
  async inspector(name: string, processes: string[] = ['cutting', 'sewing']): Promise<Json> {
    const created = await this.client.post<Json>('/registry/inspectors', this.actors.operator, { name, certifications: ['ISO 2859-1'], processes }, randomUUID());
    this.inspectors.set(created.id as string, created.token as string);
    return created;
  }

  tokenOf(workshopId: string): string {
    const workshop = this.workshops.get(workshopId);
    if (!workshop) throw new Error(`workshop ${workshopId} is not one of this scenario's`);
    return workshop.token as string;
  }
}

export const TWO_STEP_ROUTE = [
  { stepId: 'cut', process: 'cutting', workContentHoursPerUnit: 0.05, inspection: { level: 'II', aql: 2.5 } },
  { stepId: 'sew', process: 'sewing', workContentHoursPerUnit: 0.1, inspection: { level: 'II', aql: 2.5 }, dependsOn: ['cut'] },
];

export class OrderDriver {
  constructor(
    private readonly client: MeshfabClient,
    private readonly members: Members,
  ) {}

  async submit(brand: Json, quantity = 200): Promise<string> {
    const order = await this.client.post<Json>(
      '/orders',
      brand.token,
      {
        sku: 'TEE-ORG-M',
        productName: 'Organic cotton T-shirt',
        quantity,
        unit: 'pcs',
        dueDate: new Date(Date.now() + 30 * 86_400_000).toISOString(),
        delivery: { lat: 30.27, lng: 120.15, city: 'Hangzhou' },
        route: TWO_STEP_ROUTE,
      },
      randomUUID(),
    );
    return order.orderId as string;
  }

  /** The offer of `orderId`'s step, as the operator sees all offers; with its workshop's token. */
  async offer(orderId: string, stepId: string): Promise<Json & { token: string }> {
    const offer = await eventually(`an offer for step ${stepId} of ${orderId}`, async () => {
      const offers = await this.client.getAll<Json>('/matching/offers?limit=500', this.members.actors.operator);
      return offers.find((o) => o.orderId === orderId && o.stepId === stepId);
    });
    return { ...offer, token: this.members.tokenOf(offer.workshopId as string) };
  }

  async accept(offer: Json & { token: string }): Promise<void> {
    await this.client.post(`/matching/offers/${offer.subtaskId}/accept`, offer.token);
  }

  async make(offer: Json & { token: string }, good: number): Promise<void> {
    await eventually(`${offer.stepId as string} may start`, () => this.client.post(`/matching/subtasks/${offer.subtaskId}/start`, offer.token).then(() => true));
    await this.client.post(`/matching/subtasks/${offer.subtaskId}/complete`, offer.token, { goodQuantity: good, scrapQuantity: 0 });
  }

  /** The lot's assigned inspector (one of this network's, found through the operator's view) records the result. */
  async inspect(subtaskId: string, round: number, defects: (sampleSize: number) => Json): Promise<Json> {
    const lot = await eventually(`an assigned inspection lot for ${subtaskId} round ${round}`, async () => {
      const lots = await this.client.getAll<Json>(`/inspection/lots?subtaskId=${subtaskId}`, this.members.actors.operator);
      return lots.find((l) => l.reworkRound === round && l.status === 'pending' && this.members.inspectors.has(l.assignedInspectorId as string));
    });
    const token = this.members.inspectors.get(lot.assignedInspectorId as string)!;
    // The assigned inspector sees the lot in its own queue.
    await eventually(`lot ${lot.id as string} in its inspector's queue`, async () => (await this.client.getAll<Json>('/inspection/lots?status=pending', token)).some((l) => l.id === lot.id));
    return this.client.post<Json>(`/inspection/lots/${lot.id}/results`, token, { sampled: lot.sampleSize, defects: defects(lot.sampleSize) });
  }

  orderStatus(brand: Json, orderId: string, status: string): Promise<Json> {
    return eventually(`order ${orderId} ${status}`, async () => {
      const view = await this.client.get<Json>(`/orders/${orderId}`, brand.token);
      return view.status === status ? view : undefined;
    });
  }

  closedStatement(brand: Json, orderId: string): Promise<Json> {
    return eventually(`a final statement of ${orderId}`, async () => {
      const s = await this.client.get<Json>(`/settlement/orders/${orderId}/statement`, brand.token);
      // Closed, and no escrow held for a verdict or payment still on its way (a pass may reach settlement after the order closed).
      return s.closedAt && s.totals.escrowBalanceMinor === 0 ? s : undefined;
    });
  }
}

const clean = () => ({ critical: 0, major: 0, minor: 0 });

const networks = new WeakMap<MeshfabClient, Promise<{ members: Members; orders: OrderDriver }>>();

/** The workshops join once per network; each scenario adds its own brand. */
export function joinNetwork(client: MeshfabClient, actors: Actors) {
  let joined = networks.get(client);
  if (!joined) {
    joined = (async () => {
      const members = new Members(client, actors);
      await members.workshop('Yinzhou Cutting Room', 'cutting', 'per_unit', 150, 121.55);
      await members.workshop('Haishu Cutting Works', 'cutting', 'per_unit', 150, 121.5);
      await members.workshop('Beilun Sewing Co-op', 'sewing', 'per_hour', 4000, 121.8);
      await members.inspector('Ningbo Quality Lab');
      return { members, orders: new OrderDriver(client, members) };
    })();
    networks.set(client, joined);
  }
  return joined;
}

/** Submission → plan → offers → accept → make → inspect (sewing fails once, is reworked) → done. */
export async function orderLifecycle(client: MeshfabClient, actors: Actors) {
  const { members, orders } = await joinNetwork(client, actors);
  const brand = await members.brand('Ningbo Threads', 0);
  const depositKey = randomUUID();
  await members.deposit(brand, 5_000_000, depositKey);
  await members.deposit(brand, 5_000_000, depositKey); // a retry: must not deposit twice

  const orderId = await orders.submit(brand);
  // The first cutting shop declines; matching re-plans the lot at the other one.
  const declined = await orders.offer(orderId, 'cut');
  await client.post(`/matching/offers/${declined.subtaskId}/decline`, declined.token, { reason: 'a cutting table is down this week' });
  const cut = await orders.offer(orderId, 'cut');
  const sew = await orders.offer(orderId, 'sew');
  await orders.accept(cut);
  await orders.accept(sew);

  await orders.make(cut, 200);
  await orders.inspect(cut.subtaskId, 0, clean);
  await orders.make(sew, 200); // released only after cutting passed
  const failed = await orders.inspect(sew.subtaskId, 0, (n) => ({ critical: 0, major: n, minor: 0 }));
  await eventually('the sewing lot back for rework', async () => {
    await client.post(`/matching/subtasks/${sew.subtaskId}/complete`, sew.token, { goodQuantity: 200, scrapQuantity: 0 });
    return true;
  });
  await orders.inspect(sew.subtaskId, 1, clean);

  const completed = await orders.orderStatus(brand, orderId, 'completed');
  const statement = await orders.closedStatement(brand, orderId);
  // The sewing workshop takes its money out; the payout provider (the sandbox) pays it and confirms by webhook.
  const requested = await client.post<Json>('/settlement/payouts', sew.token, {}, randomUUID());
  const payout = await payoutSettled(client, sew.token, requested.payoutId as string);
  const brandAccount = await client.get<Json>('/settlement/accounts/me', brand.token);
  const ledger = await client.get<Json>('/settlement/ledger/check', actors.operator);
  return { orderId, brand, sewShop: { id: sew.workshopId as string, token: sew.token }, declined, cut, failed, completed, statement, payout, brandAccount, ledger };
}

/** Waits until the payout provider confirmed the payout paid (or failed) through its webhook. */
export async function payoutSettled(client: MeshfabClient, token: string, payoutId: string): Promise<Json> {
  return eventually(`payout ${payoutId} confirmed by the provider`, async () => {
    const payout = await client.get<Json>(`/settlement/payouts/${payoutId}`, token);
    return payout.status === 'paid' || payout.status === 'failed' ? payout : undefined;
  });
}

/** Cutting passes and is paid; the brand cancels before sewing starts; the rest is refunded. */
export async function cancellationMidProduction(client: MeshfabClient, actors: Actors) {
  const { members, orders } = await joinNetwork(client, actors);
  const brand = await members.brand('Cixi Knitwear', 5_000_000);
  const orderId = await orders.submit(brand);
  const cut = await orders.offer(orderId, 'cut');
  const sew = await orders.offer(orderId, 'sew');
  await orders.accept(cut);
  await orders.accept(sew);
  await orders.make(cut, 200);
  await orders.inspect(cut.subtaskId, 0, clean);
  await client.post(`/orders/${orderId}/cancel`, brand.token, { reason: 'the collection was dropped' });
  const cancelled = await orders.orderStatus(brand, orderId, 'cancelled');
  const sewing = await eventually('the sewing subtask cancelled', async () => {
    const s = await client.get<Json>(`/matching/subtasks/${sew.subtaskId}`, sew.token);
    return s.status === 'cancelled' ? s : undefined;
  });
  const startRefused = await client.call('POST', `/matching/subtasks/${sew.subtaskId}/start`, { token: sew.token, expect: [404, 409, 422] });
  const statement = await orders.closedStatement(brand, orderId);
  return { orderId, cancelled, sewing, startRefused, statement };
}

/** A brand without enough funds: the order waits as awaiting_funds, no lot starts unpaid, a deposit lets it go on. */
export async function awaitingFunds(client: MeshfabClient, actors: Actors) {
  const { members, orders } = await joinNetwork(client, actors);
  const brand = await members.brand('Yuyao Outdoor', 10_000); // 100 CNY: short of the 1,100 CNY the lots cost
  const orderId = await orders.submit(brand);
  const cut = await orders.offer(orderId, 'cut');
  const sew = await orders.offer(orderId, 'sew');
  await orders.accept(cut);
  await orders.accept(sew);
  const waiting = await orders.orderStatus(brand, orderId, 'awaiting_funds');
  // Cutting is released (its inputs need no inspection) but not funded: the workshop may not start it.
  const unfundedStart = await eventually('the start refused for want of funds', async () => {
    const refused = await client.call<Json>('POST', `/matching/subtasks/${cut.subtaskId}/start`, { token: cut.token, expect: [422] });
    return refused.body.error === 'lot_not_funded' ? refused.body : undefined;
  });
  const unfundedLot = await client.get<Json>(`/matching/subtasks/${cut.subtaskId}`, cut.token);
  await members.deposit(brand, 2_000_000);
  const resumed = await eventually('the order no longer waiting for funds', async () => {
    const view = await client.get<Json>(`/orders/${orderId}`, brand.token);
    return view.status !== 'awaiting_funds' ? view : undefined;
  });
  await orders.make(cut, 200);
  await orders.inspect(cut.subtaskId, 0, clean);
  await orders.make(sew, 200);
  await orders.inspect(sew.subtaskId, 0, clean);
  const completed = await orders.orderStatus(brand, orderId, 'completed');
  return { orderId, waiting, unfundedStart, unfundedLot, resumed, completed };
}

/**
 * An instant quote held and accepted: the order is placed by the orders service from matching's
 * `QuoteAccepted`, and matching offers the quoted lots at the quoted prices and dates.
 */
export async function quoteToOrder(client: MeshfabClient, actors: Actors) {
  const { members, orders } = await joinNetwork(client, actors);
  const brand = await members.brand('Cixi Knitwear', 2_000_000);
  const body = {
    sku: 'KNIT-Q-1',
    productName: 'Quoted cotton T-shirt',
    quantity: 100,
    unit: 'pcs',
    dueDate: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    delivery: { lat: 30.27, lng: 120.15, city: 'Hangzhou' },
    route: TWO_STEP_ROUTE,
  };
  // Matching learns of the workshops and their capacity from the registry's events: quote once it has.
  const quote = await eventually('a quote with the network in view', async () => {
    const answer = await client.call<Json>('POST', '/quotes', { token: brand.token as string, body: { ...body, hold: 'cheapest' }, expect: [201, 422] });
    return answer.status === 201 ? answer.body : undefined;
  });
  const accepted = await client.post<Json>(`/quotes/${quote.quoteId}/accept`, brand.token as string, {}, randomUUID());
  const orderId = accepted.orderId as string;
  const cut = await orders.offer(orderId, 'cut');
  const sew = await orders.offer(orderId, 'sew');
  const order = await eventually(`order ${orderId} placed from the quote`, async () => {
    const { status, body: view } = await client.call<Json>('GET', `/orders/${orderId}`, { token: brand.token as string, expect: [200, 404] });
    return status === 200 ? view : undefined;
  });
  const viewed = await client.get<Json>(`/quotes/${quote.quoteId}`, brand.token as string);
  return { quote, accepted, order, cut, sew, viewed };
}
