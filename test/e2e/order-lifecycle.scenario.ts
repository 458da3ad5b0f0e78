// The life of one order through the public HTTP APIs only: members join, a brand funds and orders a
// two-step route, workshops accept, make, rework; an inspector passes and fails lots; money moves.
import { randomUUID } from 'node:crypto';
import { eventually, type MeshfabClient } from '../../apps/network/src/client/meshfab-client.js';

type Json = Record<string, any>;

export interface Actors {
  operator: string;
  inspector: string;
}

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

export async function joinNetwork(client: MeshfabClient, { operator }: Actors) {
  const brand = await client.post<Json>('/registry/brands', operator, { name: 'Ningbo Threads' }, randomUUID());
  const workshop = async (name: string, process: string, pricing: 'per_unit' | 'per_hour', amountMinor: number, lng: number) => {
    const created = await client.post<Json>(
      '/registry/workshops',
      operator,
      {
        name,
        location: { lat: 29.87, lng, region: 'Zhejiang', city: 'Ningbo' },
        certifications: ['ISO 9001'],
        capabilities: [{ process, parameters: { materials: ['cotton'] }, efficiency: 1, pricing, price: { amountMinor, currency: 'CNY' } }],
      },
      randomUUID(),
    );
    await client.post(`/registry/workshops/${created.id}/capacity`, created.token, { action: 'declare', process, hoursPerDay: 8, from: day(0) });
    return created;
  };
  const cutter = await workshop('Yinzhou Cutting Room', 'cutting', 'per_unit', 150, 121.55);
  const sewer = await workshop('Beilun Sewing Co-op', 'sewing', 'per_hour', 4000, 121.8);
  return { brand, cutter, sewer };
}

export async function orderLifecycle(client: MeshfabClient, actors: Actors) {
  const { brand, cutter, sewer } = await joinNetwork(client, actors);
  const depositKey = randomUUID();
  const deposit = { amount: { amountMinor: 5_000_000, currency: 'CNY' } };
  await client.post('/settlement/deposits', brand.token, deposit, depositKey);
  await client.post('/settlement/deposits', brand.token, deposit, depositKey); // a retry: must not deposit twice

  const order = await client.post<Json>(
    '/orders',
    brand.token,
    {
      sku: 'TEE-ORG-M',
      productName: 'Organic cotton T-shirt',
      quantity: 200,
      unit: 'pcs',
      dueDate: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      delivery: { lat: 30.27, lng: 120.15, city: 'Hangzhou' },
      route: [
        { stepId: 'cut', process: 'cutting', workContentHoursPerUnit: 0.05, inspection: { level: 'II', aql: 2.5 } },
        { stepId: 'sew', process: 'sewing', workContentHoursPerUnit: 0.1, inspection: { level: 'II', aql: 2.5 }, dependsOn: ['cut'] },
      ],
    },
    randomUUID(),
  );
  const orderId = order.orderId as string;

  const offerFor = (workshop: Json) =>
    eventually(`an offer for ${workshop.id as string}`, async () => {
      const offers = await client.get<Json[]>('/matching/offers', workshop.token);
      return offers.find((o) => o.orderId === orderId);
    });
  const cutOffer = await offerFor(cutter);
  const sewOffer = await offerFor(sewer);
  await client.post(`/matching/offers/${cutOffer.subtaskId}/accept`, cutter.token);
  await client.post(`/matching/offers/${sewOffer.subtaskId}/accept`, sewer.token);

  const inspect = async (subtaskId: string, round: number, defects: (sampleSize: number) => Json) => {
    const lot = await eventually(`an inspection lot for ${subtaskId} round ${round}`, async () => {
      const lots = await client.get<Json[]>(`/inspection/lots?subtaskId=${subtaskId}`, actors.inspector);
      return lots.find((l) => l.reworkRound === round && l.status !== 'passed' && l.status !== 'failed');
    });
    return client.post<Json>(`/inspection/lots/${lot.id}/results`, actors.inspector, { sampled: lot.sampleSize, defects: defects(lot.sampleSize) });
  };
  const clean = () => ({ critical: 0, major: 0, minor: 0 });

  // Cutting: may start at once (no predecessors); made, inspected, passed.
  await eventually('cutting may start', () => client.post(`/matching/subtasks/${cutOffer.subtaskId}/start`, cutter.token).then(() => true));
  await client.post(`/matching/subtasks/${cutOffer.subtaskId}/complete`, cutter.token, { goodQuantity: 200, scrapQuantity: 0 });
  await inspect(cutOffer.subtaskId, 0, clean);

  // Sewing: released only after cutting passed; fails inspection once, is reworked, passes.
  await eventually('sewing may start', () => client.post(`/matching/subtasks/${sewOffer.subtaskId}/start`, sewer.token).then(() => true));
  await client.post(`/matching/subtasks/${sewOffer.subtaskId}/complete`, sewer.token, { goodQuantity: 200, scrapQuantity: 0 });
  const failed = await inspect(sewOffer.subtaskId, 0, (n) => ({ critical: 0, major: n, minor: 0 }));
  await eventually('the sewing lot back for rework', async () => {
    await client.post(`/matching/subtasks/${sewOffer.subtaskId}/complete`, sewer.token, { goodQuantity: 200, scrapQuantity: 0 });
    return true;
  });
  await inspect(sewOffer.subtaskId, 1, clean);

  const completed = await eventually('the order completed', async () => {
    const view = await client.get<Json>(`/orders/${orderId}`, brand.token);
    return view.status === 'completed' ? view : undefined;
  });
  const statement = await eventually('a final statement', async () => {
    const s = await client.get<Json>(`/settlement/orders/${orderId}/statement`, brand.token);
    return s.closedAt ? s : undefined;
  });
  const cutterAccount = await client.get<Json>('/settlement/accounts/me', cutter.token);
  const sewerAccount = await client.get<Json>('/settlement/accounts/me', sewer.token);
  const brandAccount = await client.get<Json>('/settlement/accounts/me', brand.token);
  const ledger = await client.get<Json>('/settlement/ledger/check', actors.operator);
  return { orderId, brand, cutter, sewer, failed, completed, statement, cutterAccount, sewerAccount, brandAccount, ledger, cutOffer, sewOffer };
}
