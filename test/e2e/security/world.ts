// The members and the order the security matrix acts on: brand A with an order whose cutting lot
// reached workshop A and an inspection lot, brand B and workshop B with nothing of A's, an
// inspector; and the bearer tokens that must never get in (expired, revoked, forged, unsigned, for another audience).
import { randomUUID } from 'node:crypto';
import { fundThroughSandbox } from '../../../apps/network/src/client/fund-brand.js';
import { eventually, type MeshfabClient } from '../../../apps/network/src/client/meshfab-client.js';
import { testTokens } from '#libs/testing';

type Json = Record<string, any>;

/** `service`: a service credential's token (role `service`), what a host reads another host's event feed with. */
export const MEMBER_ROLES = ['operator', 'brandA', 'brandB', 'workshopA', 'workshopB', 'inspector', 'service'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

/** Callers without a valid token, and the error code each must get with its 401. */
export const INTRUDERS = {
  anonymous: 'missing_token',
  expired: 'token_expired',
  revoked: 'token_revoked',
  forged: 'invalid_token',
  unsigned: 'invalid_token',
  /** Signed by the registry's key, but for another audience (a refresh token's, say). */
  elsewhere: 'wrong_audience',
} as const;
export type Intruder = keyof typeof INTRUDERS;
export type Caller = MemberRole | Intruder;

export interface Member {
  id: string;
  token: string;
  tokenId: string;
}

export interface World {
  /** Bearer tokens by caller; `anonymous` sends none. Rotation replaces brand A's. */
  tokens: Record<Exclude<Caller, 'anonymous'>, string>;
  brandA: Member;
  brandB: Member;
  workshopA: Member;
  workshopB: Member;
  inspector: Member;
  /** The service credential the matrix calls as `service`. */
  service: Member;
  /** The named operator the matrix calls as `operator`. */
  operator: Member;
  orderId: string;
  /** Brand A's quote for the same order body (not held, not accepted). */
  quoteId: string;
  cutSubtaskId: string;
  sewSubtaskId: string;
  lotId: string;
  lotSampleSize: number;
  /** A photo the lot's assigned inspector uploaded as evidence. */
  evidenceFileId: string;
  /** The sandbox payment provider's id of the payment that funded brand A (its public checkout shows it to anyone holding the id). */
  sandboxPaymentOfA: string;
  /** A token of brand A's already revoked by a rotation (a DELETE of it changes nothing). */
  rotatedTokenIdOfA: string;
  /** Brand A's webhook endpoint (notifications). */
  webhookEndpointOfA: string;
  /** What only brand A's side may see: names, product, ids. No response to anyone else may hold them. */
  secretsOfA: { brandName: string; contactEmail: string; productName: string; sku: string };
}

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

export const capabilitiesOfA = () => [
  { process: 'cutting', parameters: { materials: ['cotton'] }, efficiency: 1, pricing: 'per_unit', price: { amountMinor: 150, currency: 'CNY' } },
  { process: 'sewing', parameters: { materials: ['cotton'] }, efficiency: 1, pricing: 'per_unit', price: { amountMinor: 400, currency: 'CNY' } },
];

export const declareCutting = () => ({ action: 'declare', process: 'cutting', hoursPerDay: 8, from: day(0) });

export function orderBody(secrets: World['secretsOfA'], brandId?: string): Json {
  return {
    ...(brandId ? { brandId } : {}),
    sku: secrets.sku,
    productName: secrets.productName,
    quantity: 200,
    unit: 'pcs',
    dueDate: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    delivery: { lat: 30.27, lng: 120.15, city: 'Hangzhou' },
    route: [
      { stepId: 'cut', process: 'cutting', workContentHoursPerUnit: 0.05, inspection: { level: 'II', aql: 2.5 } },
      { stepId: 'sew', process: 'sewing', workContentHoursPerUnit: 0.1, inspection: { level: 'II', aql: 2.5 }, dependsOn: ['cut'] },
    ],
  };
}

async function register(client: MeshfabClient, operator: string, path: string, body: Json): Promise<Member> {
  const r = await client.post<Json>(path, operator, body, randomUUID());
  return { id: r.id as string, token: r.token as string, tokenId: r.tokenId as string };
}

export async function buildWorld(client: MeshfabClient, bootstrap: string, jwtSecret: string): Promise<World> {
  const tag = randomUUID().slice(0, 8);
  // The operator caller is a named operator, registered with the bootstrap credential (which the matrix turns off last).
  const namedOperator = await register(client, bootstrap, '/registry/operators', { name: `Operator ${tag}` });
  const operator = namedOperator.token;
  const secretsOfA = { brandName: `Brand A ${tag}`, contactEmail: `brand-a-${tag}@example.com`, productName: `Secret jacket ${tag}`, sku: `SECRET-${tag}` };
  // The only inspector certified for cutting in this world: the network assigns it brand A's cutting lot.
  const inspector = await register(client, operator, '/registry/inspectors', { name: `Inspector ${tag}`, processes: ['cutting', 'sewing'] });
  const brandA = await register(client, operator, '/registry/brands', { name: secretsOfA.brandName, contactEmail: secretsOfA.contactEmail });
  const service = await register(client, operator, '/registry/service-credentials', { name: `Host ${tag}` });
  const brandB = await register(client, operator, '/registry/brands', { name: `Brand B ${tag}` });
  const location = { lat: 29.87, lng: 121.55, region: 'Zhejiang', city: 'Ningbo' };
  const workshopA = await register(client, operator, '/registry/workshops', { name: `Workshop A ${tag}`, location, certifications: ['ISO 9001'], capabilities: capabilitiesOfA() });
  const workshopB = await register(client, operator, '/registry/workshops', {
    name: `Workshop B ${tag}`,
    location,
    capabilities: [{ process: 'anodizing', parameters: {}, efficiency: 1, pricing: 'per_unit', price: { amountMinor: 90, currency: 'CNY' } }],
  });
  for (const process of ['cutting', 'sewing']) {
    await client.post(`/registry/workshops/${workshopA.id}/capacity`, workshopA.token, { action: 'declare', process, hoursPerDay: 8, from: day(0) });
  }
  await client.post(`/registry/workshops/${workshopB.id}/capacity`, workshopB.token, { action: 'declare', process: 'anodizing', hoursPerDay: 8, from: day(0) });
  const fundingOfA = await fundThroughSandbox(client, brandA.token, 5_000_000, randomUUID());
  await fundThroughSandbox(client, brandB.token, 5_000_000, randomUUID());

  const { orderId } = await client.post<{ orderId: string }>('/orders', brandA.token, orderBody(secretsOfA), randomUUID());
  const offerOf = (stepId: string) =>
    eventually(`workshop A's offer for ${stepId}`, async () => (await client.getAll<Json>('/matching/offers', workshopA.token)).find((o) => o.orderId === orderId && o.stepId === stepId), 60_000);
  const cut = await offerOf('cut');
  const sew = await offerOf('sew');
  // Matching has the network in view now (it planned the order): brand A asks a quote for the same body.
  const { quoteId } = await client.post<{ quoteId: string }>('/quotes', brandA.token, orderBody(secretsOfA));
  await client.post(`/matching/offers/${cut.subtaskId}/accept`, workshopA.token);
  await eventually('cutting may start', () => client.post(`/matching/subtasks/${cut.subtaskId}/start`, workshopA.token).then(() => true), 60_000);
  await client.post(`/matching/subtasks/${cut.subtaskId}/complete`, workshopA.token, { goodQuantity: 200, scrapQuantity: 0 });
  const lot = await eventually(
    'the inspection lot of the cutting',
    async () => (await client.getAll<Json>(`/inspection/lots?subtaskId=${cut.subtaskId}`, inspector.token)).find((l) => l.status === 'pending' && l.assignedInspectorId === inspector.id),
    60_000,
  );

  const webhookEndpointOfA = (await client.post<Json>('/notifications/webhook-endpoints', brandA.token, { url: 'https://hooks.example.com/brand-a', eventTypes: ['*'] })).id as string;
  const evidence = await client.post<Json>(`/inspection/lots/${lot.id as string}/evidence`, inspector.token, {
    kind: 'photo',
    fileName: 'cut-edge.jpg',
    contentType: 'image/jpeg',
    contentBase64: Buffer.from(`a photo of ${tag}'s cut edges`).toString('base64'),
  });

  // Brand A rotates its token once: the first one is revoked, the new one is brand A's from now on.
  const rotated = await client.post<Json>(`/registry/members/${brandA.id}/tokens`, brandA.token);
  const rotatedTokenIdOfA = brandA.tokenId;
  const currentA: Member = { ...brandA, token: rotated.token as string, tokenId: rotated.tokenId as string };

  // A spare brand whose only token the operator revokes: the revoked caller.
  const revoked = await register(client, operator, '/registry/brands', { name: `Brand R ${tag}` });
  await client.call('DELETE', `/registry/members/${revoked.id}/tokens/${revoked.tokenId}`, { token: operator, expect: [204] });

  // Right secret, but expired an hour ago; right claims (even operator), but the wrong secret; no signature at all.
  const anHourAgo = testTokens(jwtSecret, { now: () => new Date(Date.now() - 2 * 3600_000) });
  const expired = await anHourAgo.issue({ sub: currentA.id, role: 'brand', expiresIn: 3600 });
  const forged = await testTokens('not-the-secret-of-this-network-0123456789').issue({ sub: currentA.id, role: 'operator' });
  const elsewhere = await testTokens(jwtSecret).issue({ sub: currentA.id, role: 'brand', audience: ['registry:refresh', 'another-network'] });
  const claims = { iss: 'meshfab', sub: currentA.id, role: 'operator', jti: randomUUID(), exp: Math.floor(Date.now() / 1000) + 3600 };
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;

  return {
    tokens: {
      operator,
      brandA: currentA.token,
      brandB: brandB.token,
      workshopA: workshopA.token,
      workshopB: workshopB.token,
      inspector: inspector.token,
      service: service.token,
      expired,
      revoked: revoked.token,
      forged,
      unsigned,
      elsewhere,
    },
    brandA: currentA,
    brandB,
    workshopA,
    workshopB,
    inspector,
    service,
    operator: namedOperator,
    orderId,
    quoteId,
    cutSubtaskId: cut.subtaskId as string,
    sewSubtaskId: sew.subtaskId as string,
    lotId: lot.id as string,
    lotSampleSize: lot.sampleSize as number,
    evidenceFileId: evidence.fileId as string,
    sandboxPaymentOfA: fundingOfA.transactionId,
    webhookEndpointOfA,
    rotatedTokenIdOfA,
    secretsOfA,
  };
}
