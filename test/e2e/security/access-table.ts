// Who may call what, written by hand from DESIGN.md's security section: a brand sees and changes only
// its own orders, funds and statements; a workshop only its own profile, offers and subtasks (and the
// parts of an order its steps need); an inspector only inspection lots; the operator is admin.
// Each row names real resources of brand A's side, so a 404 means "hidden", not "missing".
//
//   'allow'  the call gets through: 2xx, or a 4xx of validation or state (400, 409, 422), never 401/403/404
//   403      refused for the caller's role, or a change to someone else's member
//   404      someone else's resource: answered exactly as if it did not exist, with none of its data
//
// A row is 'public' (every caller, whatever its token, gets through) or, for a payment provider's webhook,
// 'signed': no bearer token counts either way, the Standard Webhooks signature over the raw body does. Every
// caller, member or intruder, is then tried three times: unsigned and signed with another key (both 401 with
// the webhook's own error code), and signed with the provider's key (gets through).
import { randomUUID } from 'node:crypto';
import { capabilitiesOfA, declareCutting, orderBody, type Caller, type MemberRole, type World } from './world.js';
import type { EndpointKey } from './endpoints.js';

export type Expected = 'allow' | 403 | 404;

/** Authenticated by a webhook signature, not a bearer token (see the header). */
export interface SignedAccess {
  /** The provider whose webhook secret signs the allowed call (MESHFAB_SETTLEMENT_PROVIDER_SECRETS). */
  signedBy: string;
}

export interface AccessRow {
  /** Per member role; intruders (no, expired, revoked, forged or unsigned token) always get 401 unless `public` or signed. */
  access: Record<MemberRole, Expected> | 'public' | SignedAccess;
  path(w: World): string;
  body?(w: World, caller: Caller): unknown;
  idempotencyKey?: boolean;
  /** Called after the other allowed calls: it changes what they need (cancelling the order). */
  last?: boolean;
  /** Workshop A's public profile may appear in this answer (the workshop directory). */
  showsWorkshopDirectory?: boolean;
  /** More to check on an answer that got through. */
  check?(w: World, caller: MemberRole, body: any): void;
  /** Keeps the world true after an allowed call (a rotation replaces brand A's token). */
  after?(w: World, caller: MemberRole, body: any): void;
}

/** Every member; not the service credential, which no "any member" route takes. */
const ALL: MemberRole[] = ['operator', 'brandA', 'brandB', 'workshopA', 'workshopB', 'inspector'];

/** `allowed` get through, every other role 403 (the service credential too unless named), then the exceptions (usually the other tenant's 404). */
function access(allowed: MemberRole[], exceptions: Partial<Record<MemberRole, Expected>> = {}): Record<MemberRole, Expected> {
  const table = Object.fromEntries([...ALL, 'service'].map((role) => [role, allowed.includes(role as MemberRole) ? 'allow' : 403])) as Record<MemberRole, Expected>;
  return { ...table, ...exceptions };
}

/** A body that fails validation: proves the guard let the caller through without changing anything. */
const invalid = () => ({ unexpected: true });
const money = (amountMinor: number) => ({ amountMinor, currency: 'CNY' });

/** The fields only workshop A itself and operators see of its profile. */
function expectPublicProfileOnly(profile: Record<string, unknown>): void {
  for (const field of ['location', 'capacity', 'suspendedReason', 'registeredAt']) expect(Object.keys(profile)).not.toContain(field);
}

export const ACCESS_TABLE: Record<EndpointKey, AccessRow> = {
  // ── platform: probes, metrics and the operator's dead letters
  'GET /health': { access: 'public', path: () => '/health' },
  'GET /health/ready': { access: 'public', path: () => '/health/ready' },
  'GET /metrics': { access: 'public', path: () => '/metrics' },
  'GET /admin/dead-letters': { access: access(['operator']), path: () => '/admin/dead-letters' },
  'GET /admin/parked-streams': { access: access(['operator']), path: () => '/admin/parked-streams' },
  // The integration-event feed a consumer rebuilds lost Kafka records from: read-only, the operator's.
  // Another host reads it with its service credential (the bootstrap credential may be off).
  'GET /admin/event-feed/:service': { access: access(['operator', 'service']), path: () => '/admin/event-feed/registry?limit=5' },
  // No letter to act on in this world: the operator gets through to a 404 (or to validation), everyone else 403.
  'POST /admin/dead-letters/:id/replay': { access: access([], { operator: 404 }), path: () => '/admin/dead-letters/settlement-1/replay' },
  'POST /admin/dead-letters/:id/discard': { access: access(['operator']), path: () => '/admin/dead-letters/settlement-1/discard', body: invalid },

  // ── registry
  // The public keys every service verifies tokens with: public, and never a private member.
  'GET /registry/.well-known/jwks.json': {
    access: 'public',
    path: () => '/registry/.well-known/jwks.json',
    check: (_w, _caller, body) => {
      expect(body.keys.length).toBeGreaterThan(0);
      for (const key of body.keys as Record<string, unknown>[]) {
        expect(key).toMatchObject({ kty: expect.any(String), kid: expect.any(String), use: 'sig' });
        expect(key).not.toHaveProperty('d');
      }
    },
  },
  // Operators are named members: only an operator registers one or reads one.
  'POST /registry/operators': { access: access(['operator']), path: () => '/registry/operators', body: () => ({ name: 'Matrix operator' }) },
  'GET /registry/operators/:id': { access: access(['operator']), path: (w) => `/registry/operators/${w.operator.id}` },
  // Turning the bootstrap credential off (by the named operator): last, nothing after it needs the credential.
  'POST /registry/operators/bootstrap/disable': { access: access(['operator']), path: () => '/registry/operators/bootstrap/disable', last: true },
  'POST /registry/brands': { access: access(['operator']), path: () => '/registry/brands', body: () => ({ name: 'Matrix brand' }) },
  'GET /registry/brands/:id': { access: access(['operator', 'brandA'], { brandB: 404, workshopA: 404, workshopB: 404, inspector: 404 }), path: (w) => `/registry/brands/${w.brandA.id}` },
  'POST /registry/inspectors': { access: access(['operator']), path: () => '/registry/inspectors', body: () => ({ name: 'Matrix inspector' }) },
  'PUT /registry/inspectors/:id/profile': {
    access: access(['operator', 'inspector']),
    path: (w) => `/registry/inspectors/${w.inspector.id}/profile`,
    body: invalid,
  },
  'GET /registry/inspectors/:id': {
    access: access(['operator', 'inspector'], { brandA: 404, brandB: 404, workshopA: 404, workshopB: 404 }),
    path: (w) => `/registry/inspectors/${w.inspector.id}`,
  },
  'POST /registry/workshops': { access: access(['operator']), path: () => '/registry/workshops', body: invalid },
  // The workshop directory: every member finds workshops, but only their public profile.
  'GET /registry/workshops': {
    access: access(ALL),
    path: () => '/registry/workshops?process=cutting',
    showsWorkshopDirectory: true,
    check: (_w, _caller, body) => {
      for (const item of body.items as Record<string, unknown>[]) expectPublicProfileOnly(item);
    },
  },
  'GET /registry/workshops/:id': {
    access: access(ALL),
    path: (w) => `/registry/workshops/${w.workshopA.id}`,
    showsWorkshopDirectory: true,
    check: (_w, caller, body) => {
      if (caller === 'workshopA' || caller === 'operator') expect(body).toHaveProperty('capacity');
      else expectPublicProfileOnly(body);
    },
  },
  'PATCH /registry/workshops/:id': {
    access: access(['operator', 'workshopA']),
    path: (w) => `/registry/workshops/${w.workshopA.id}`,
    body: () => ({ certifications: ['ISO 9001'] }),
  },
  'PUT /registry/workshops/:id/capabilities': {
    access: access(['operator', 'workshopA']),
    path: (w) => `/registry/workshops/${w.workshopA.id}/capabilities`,
    body: () => ({ capabilities: capabilitiesOfA() }),
  },
  'POST /registry/workshops/:id/capacity': { access: access(['operator', 'workshopA']), path: (w) => `/registry/workshops/${w.workshopA.id}/capacity`, body: declareCutting },
  // Only the workshop itself appeals its suspension (workshop A is not suspended: a 409 of state, which gets through).
  'POST /registry/workshops/:id/appeal': { access: access(['workshopA']), path: (w) => `/registry/workshops/${w.workshopA.id}/appeal`, body: () => ({ reason: 'matrix appeal' }) },
  'POST /registry/workshops/:id/suspend': { access: access(['operator']), path: (w) => `/registry/workshops/${w.workshopA.id}/suspend`, body: invalid },
  'POST /registry/workshops/:id/reinstate': { access: access(['operator']), path: (w) => `/registry/workshops/${w.workshopA.id}/reinstate`, body: invalid },
  // Any member but an operator is suspended and reinstated by an operator (an invalid body: nothing changes);
  // only the member itself appeals (brand A is not suspended: a 409 of state, which gets through), anyone else a 404.
  'POST /registry/members/:memberId/suspend': { access: access(['operator']), path: (w) => `/registry/members/${w.brandA.id}/suspend`, body: invalid },
  'POST /registry/members/:memberId/reinstate': { access: access(['operator']), path: (w) => `/registry/members/${w.brandA.id}/reinstate`, body: invalid },
  'POST /registry/members/:memberId/appeal': {
    access: access(['brandA'], { operator: 404, brandB: 404, workshopA: 404, workshopB: 404, inspector: 404 }),
    path: (w) => `/registry/members/${w.brandA.id}/appeal`,
    body: () => ({ reason: 'matrix appeal' }),
  },
  'POST /registry/service-credentials': { access: access(['operator']), path: () => '/registry/service-credentials', body: invalid },
  'GET /registry/service-credentials/:id': { access: access(['operator']), path: (w) => `/registry/service-credentials/${w.service.id}` },
  'GET /registry/members/:memberId/tokens': {
    access: access(['operator', 'brandA'], { brandB: 404, workshopA: 404, workshopB: 404, inspector: 404 }),
    path: (w) => `/registry/members/${w.brandA.id}/tokens`,
  },
  // Changing another member's credentials is refused outright (403), reading them is hidden (404).
  'POST /registry/members/:memberId/tokens': {
    access: access(['operator', 'brandA']),
    path: (w) => `/registry/members/${w.brandA.id}/tokens`,
    // A rotation revokes brand A's other tokens: go on with the new one.
    after: (w, _caller, body) => {
      w.tokens.brandA = body.token as string;
    },
  },
  'DELETE /registry/members/:memberId/tokens/:tokenId': {
    access: access(['operator', 'brandA']),
    path: (w) => `/registry/members/${w.brandA.id}/tokens/${w.rotatedTokenIdOfA}`,
  },

  // ── orders
  'POST /orders': {
    access: access(['operator', 'brandA']),
    path: () => '/orders',
    // Brand B tries to order in brand A's name (a valid order, so only the tenancy rule can stop it).
    body: (w, caller) => (caller === 'brandB' ? orderBody({ ...w.secretsOfA, sku: 'B-SKU', productName: 'B product' }, w.brandA.id) : invalid()),
    idempotencyKey: true,
  },
  'GET /orders': {
    access: access(['operator', 'brandA', 'brandB']),
    path: (w) => `/orders?brandId=${w.brandA.id}`,
    check: (w, caller, body) => {
      const ids = (body.items as { orderId?: string; id?: string }[]).map((o) => o.orderId ?? o.id);
      if (caller === 'brandB') expect(ids).not.toContain(w.orderId);
      else expect(ids).toContain(w.orderId);
    },
  },
  'GET /orders/:id': { access: access(['operator', 'brandA'], { brandB: 404 }), path: (w) => `/orders/${w.orderId}` },
  'GET /orders/:id/events': { access: access(['operator', 'brandA'], { brandB: 404 }), path: (w) => `/orders/${w.orderId}/events` },
  'GET /orders/:id/steps/:stepId/work': {
    access: access(['operator', 'brandA', 'workshopA'], { brandB: 404, workshopB: 404 }),
    path: (w) => `/orders/${w.orderId}/steps/cut/work`,
    // The workshop gets what its step needs: not the route, the budget, the brand's contact or (for a step
    // that is not final) where the goods go.
    check: (w, caller, body) => {
      if (caller !== 'workshopA') return;
      for (const field of ['route', 'budget', 'brandId', 'delivery']) expect(body).not.toHaveProperty(field);
      expect(JSON.stringify(body)).not.toContain(w.secretsOfA.contactEmail);
    },
  },
  'POST /orders/:id/cancel': {
    access: access(['operator', 'brandA'], { brandB: 404 }),
    path: (w) => `/orders/${w.orderId}/cancel`,
    body: () => ({ reason: 'security matrix' }),
    last: true,
  },

  // ── quotes (matching): brand A asked one for its order's body
  'POST /quotes': { access: access(['brandA', 'brandB']), path: () => '/quotes', body: invalid },
  'GET /quotes': {
    access: access(['operator', 'brandA', 'brandB']),
    path: () => '/quotes',
    check: (w, caller, body) => {
      const ids = (body as { quoteId: string }[]).map((q) => q.quoteId);
      if (caller === 'brandB') expect(ids).not.toContain(w.quoteId);
      else expect(ids).toContain(w.quoteId);
    },
  },
  'GET /quotes/:id': { access: access(['operator', 'brandA'], { brandB: 404 }), path: (w) => `/quotes/${w.quoteId}` },
  // Brand A's accept really places an order (or re-quotes): after the other calls.
  'POST /quotes/:id/accept': { access: access(['brandA'], { brandB: 404 }), path: (w) => `/quotes/${w.quoteId}/accept`, body: () => ({ option: 'cheapest' }), idempotencyKey: true, last: true },
  'GET /matching/capacity': {
    access: access(['operator', 'brandA', 'brandB', 'workshopA', 'workshopB']),
    path: () => `/matching/capacity?process=cutting&from=${new Date().toISOString().slice(0, 10)}&to=${new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10)}`,
    check: (w, _caller, body) => expect(JSON.stringify(body)).not.toContain(w.workshopA.id),
  },

  // ── matching: workshop A holds the cutting subtask (done, in inspection) and the sewing offer
  'GET /matching/offers': {
    access: access(['operator', 'workshopA', 'workshopB']),
    path: () => '/matching/offers',
  },
  'POST /matching/offers/:id/accept': { access: access(['workshopA'], { workshopB: 404 }), path: (w) => `/matching/offers/${w.sewSubtaskId}/accept` },
  'POST /matching/offers/:id/decline': {
    access: access(['workshopA'], { workshopB: 404 }),
    path: (w) => `/matching/offers/${w.sewSubtaskId}/decline`,
    body: () => ({ reason: 'security matrix' }),
  },
  'POST /matching/offers/:id/counter': { access: access(['workshopA'], { workshopB: 404 }), path: (w) => `/matching/offers/${w.sewSubtaskId}/counter`, body: () => ({ quantity: 1 }) },
  'GET /matching/subtasks/:id': { access: access(['operator', 'workshopA'], { workshopB: 404 }), path: (w) => `/matching/subtasks/${w.cutSubtaskId}` },
  'POST /matching/subtasks/:id/start': { access: access(['workshopA'], { workshopB: 404 }), path: (w) => `/matching/subtasks/${w.cutSubtaskId}/start` },
  'POST /matching/subtasks/:id/progress': {
    access: access(['workshopA'], { workshopB: 404 }),
    path: (w) => `/matching/subtasks/${w.cutSubtaskId}/progress`,
    body: () => ({ doneQuantity: 1 }),
  },
  'POST /matching/subtasks/:id/complete': {
    access: access(['workshopA'], { workshopB: 404 }),
    path: (w) => `/matching/subtasks/${w.cutSubtaskId}/complete`,
    body: () => ({ goodQuantity: 200, scrapQuantity: 0 }),
  },
  'GET /matching/orders/:orderId/plan': { access: access(['operator', 'brandA'], { brandB: 404 }), path: (w) => `/matching/orders/${w.orderId}/plan` },

  // ── inspection
  'GET /inspection/lots': {
    access: access(ALL),
    path: (w) => `/inspection/lots?orderId=${w.orderId}`,
    check: (w, caller, body) => {
      const ids = (body as { items: { id: string }[] }).items.map((l) => l.id);
      if (caller === 'brandB' || caller === 'workshopB') expect(ids).toEqual([]);
      else expect(ids).toContain(w.lotId);
    },
  },
  'GET /inspection/lots/:id': { access: access(ALL, { brandB: 404, workshopB: 404 }), path: (w) => `/inspection/lots/${w.lotId}` },
  'GET /inspection/lots/:id/trace': { access: access(ALL, { brandB: 404, workshopB: 404 }), path: (w) => `/inspection/lots/${w.lotId}/trace` },
  // Only the lot's assigned inspector (the world's inspector is the only one certified for cutting); the operator too is refused.
  'POST /inspection/lots/:id/results': {
    access: access(['inspector']),
    path: (w) => `/inspection/lots/${w.lotId}/results`,
    body: (w) => ({ sampled: w.lotSampleSize, defects: { critical: 0, major: 0, minor: 0 } }),
    // After the evidence rows: once the result is in, the inspector's assignment (and its right to add evidence) ends.
    last: true,
  },
  'POST /inspection/lots/:id/result': {
    access: access(['inspector']),
    path: (w) => `/inspection/lots/${w.lotId}/result`,
    body: (w) => ({ sampled: w.lotSampleSize, defects: { critical: 0, major: 0, minor: 0 } }),
    // After the evidence rows: once the result is in, the inspector's assignment (and its right to add evidence) ends.
    last: true,
  },
  // The lot's brand or workshop disputes its result (the world's lot has none yet: 422 for them); the other tenants 404.
  // An operator's reassignment (an invalid body: the lot keeps its inspector).
  'POST /inspection/lots/:id/reassign': { access: access(['operator']), path: (w) => `/inspection/lots/${w.lotId}/reassign`, body: invalid },
  'POST /inspection/lots/:id/disputes': {
    access: access(['brandA', 'workshopA'], { brandB: 404, workshopB: 404 }),
    path: (w) => `/inspection/lots/${w.lotId}/disputes`,
    body: () => ({ reason: 'the security matrix disputes a result' }),
  },
  // Evidence files: the lot's assigned inspector, brand and workshop only (others 404; the operator 403).
  'POST /inspection/lots/:id/evidence': {
    access: access(['inspector', 'brandA', 'workshopA'], { brandB: 404, workshopB: 404 }),
    path: (w) => `/inspection/lots/${w.lotId}/evidence`,
    body: () => ({ kind: 'photo', fileName: 'matrix.png', contentType: 'image/png', contentBase64: Buffer.from('the security matrix photo').toString('base64') }),
  },
  'GET /inspection/lots/:id/evidence': {
    access: access(['inspector', 'brandA', 'workshopA'], { brandB: 404, workshopB: 404 }),
    path: (w) => `/inspection/lots/${w.lotId}/evidence`,
  },
  'GET /inspection/lots/:id/evidence/:fileId': {
    access: access(['inspector', 'brandA', 'workshopA'], { brandB: 404, workshopB: 404 }),
    path: (w) => `/inspection/lots/${w.lotId}/evidence/${w.evidenceFileId}`,
  },
  // A brand names its own inspector (brand A's own nomination; another brand's is hidden).
  'GET /inspection/brands/:brandId/inspector': {
    access: access(['operator', 'brandA'], { brandB: 404 }),
    path: (w) => `/inspection/brands/${w.brandA.id}/inspector`,
  },
  'PUT /inspection/brands/:brandId/inspector': {
    access: access(['operator', 'brandA'], { brandB: 404 }),
    path: (w) => `/inspection/brands/${w.brandA.id}/inspector`,
    // The world's inspector (tied to nobody): a valid nomination, so brand B's 404 is the ownership check's, not validation's.
    body: (w) => ({ inspectorId: w.inspector.id }),
  },
  'DELETE /inspection/brands/:brandId/inspector': {
    access: access(['operator', 'brandA'], { brandB: 404 }),
    path: (w) => `/inspection/brands/${w.brandA.id}/inspector`,
  },
  'GET /inspection/sampling-plans': { access: access(ALL), path: () => '/inspection/sampling-plans?lotSize=200&level=II&aql=2.5' },
  'GET /inspection/workshops/:workshopId/severity': {
    access: access(['operator', 'workshopA'], { workshopB: 404 }),
    path: (w) => `/inspection/workshops/${w.workshopA.id}/severity`,
  },
  'POST /inspection/workshops/:workshopId/processes/:process/reinstate': {
    access: access(['operator']),
    path: (w) => `/inspection/workshops/${w.workshopA.id}/processes/cutting/reinstate`,
    body: invalid,
  },

  // ── settlement
  // Retired (issue 16): nobody credits funds by saying so; brands and operators get 403 deposits_retired.
  'POST /settlement/deposits': {
    access: access([]),
    path: () => '/settlement/deposits',
    body: (w, caller) => (caller === 'brandA' ? { amount: money(100) } : { brandId: w.brandA.id, amount: money(100) }),
    idempotencyKey: true,
  },
  'POST /settlement/funding-intents': { access: access(['brandA', 'brandB']), path: () => '/settlement/funding-intents', body: () => ({ amount: money(100) }), idempotencyKey: true },
  'GET /settlement/funding-intents': { access: access(['operator', 'brandA', 'brandB']), path: () => '/settlement/funding-intents' },
  // No intent id of brand A's in this world: brands and the operator get through to a 404, everyone else 403.
  'GET /settlement/funding-intents/:intentId': { access: access([], { operator: 404, brandA: 404, brandB: 404 }), path: () => '/settlement/funding-intents/fi-none' },
  // Authenticated by its signature, not a bearer token: a payment quoting a reference no intent has is
  // recorded as unmatched, credited to no one (the operator's list of unmatched payments).
  'POST /settlement/webhooks/:provider': {
    access: { signedBy: 'sandbox' },
    path: () => '/settlement/webhooks/sandbox',
    body: () => ({ type: 'payment.succeeded', data: { transactionId: `matrix-${randomUUID()}`, reference: 'MF-NONE-NONE-NONE', amount: money(100) } }),
    check: (_w, _caller, body) => expect(body).toMatchObject({ received: true, outcome: 'unmatched', intentId: null }),
  },
  'POST /settlement/bank-statements': { access: access(['operator']), path: () => '/settlement/bank-statements', body: invalid },
  'GET /settlement/bank-statements/:statementId': { access: access([], { operator: 404 }), path: () => '/settlement/bank-statements/stmt-none' },
  'GET /settlement/unmatched-payments': { access: access(['operator']), path: () => '/settlement/unmatched-payments' },
  'POST /settlement/manual-credits': { access: access(['operator']), path: () => '/settlement/manual-credits', body: invalid, idempotencyKey: true },
  'GET /settlement/manual-credits': { access: access(['operator']), path: () => '/settlement/manual-credits' },
  'POST /settlement/manual-credits/:creditId/approve': { access: access([], { operator: 404 }), path: () => '/settlement/manual-credits/mc-none/approve' },
  'POST /settlement/manual-credits/:creditId/reject': { access: access(['operator']), path: () => '/settlement/manual-credits/mc-none/reject', body: invalid },
  // The sandbox payment provider (embedded network only): a pretend provider's public checkout.
  'POST /sandbox-provider/payments': { access: 'public', path: () => '/sandbox-provider/payments', body: invalid },
  // Anyone holding a payment's id may read its status (the id is the unguessable secret, like a checkout URL).
  'GET /sandbox-provider/payments/:transactionId': {
    access: 'public',
    path: (w) => `/sandbox-provider/payments/${w.sandboxPaymentOfA}`,
    check: (w, _caller, body) => expect(body).toMatchObject({ transactionId: w.sandboxPaymentOfA, status: 'delivered' }),
  },
  'GET /settlement/accounts/me': { access: access(['brandA', 'brandB', 'workshopA', 'workshopB']), path: () => '/settlement/accounts/me' },
  'GET /settlement/accounts/:memberId': { access: access(ALL, { brandB: 404, workshopA: 404, workshopB: 404, inspector: 404 }), path: (w) => `/settlement/accounts/${w.brandA.id}` },
  'GET /settlement/accounts/:memberId/entries': {
    access: access(ALL, { brandB: 404, workshopA: 404, workshopB: 404, inspector: 404 }),
    path: (w) => `/settlement/accounts/${w.brandA.id}/entries`,
  },
  'GET /settlement/orders/:orderId/statement': { access: access(['operator', 'brandA'], { brandB: 404 }), path: (w) => `/settlement/orders/${w.orderId}/statement` },
  'POST /settlement/payouts': { access: access(['workshopA', 'workshopB']), path: () => '/settlement/payouts', body: () => ({}), idempotencyKey: true },
  'GET /settlement/payouts': { access: access(['operator', 'workshopA', 'workshopB']), path: (w) => `/settlement/payouts?workshopId=${w.workshopA.id}` },
  'GET /settlement/payouts/:payoutId': { access: access([], { operator: 404, workshopA: 404, workshopB: 404 }), path: () => `/settlement/payouts/payout-${randomUUID()}` },
  'POST /settlement/payouts/:payoutId/paid': { access: access(['operator']), path: () => `/settlement/payouts/${randomUUID()}/paid`, body: () => ({ bankTransactionId: 42 }) },
  'GET /settlement/ledger/transfers': { access: access(['operator']), path: () => '/settlement/ledger/transfers' },
  'GET /settlement/ledger/check': { access: access(['operator']), path: () => '/settlement/ledger/check' },
  'GET /settlement/audit': { access: access(['operator']), path: () => '/settlement/audit' },
  // ── notifications: a member's webhook endpoints and event stream (brands and workshops only)
  'GET /notifications/event-types': { access: access(['brandA', 'brandB', 'workshopA', 'workshopB']), path: () => '/notifications/event-types' },
  'POST /notifications/webhook-endpoints': { access: access(['brandA', 'brandB', 'workshopA', 'workshopB']), path: () => '/notifications/webhook-endpoints', body: invalid },
  'GET /notifications/webhook-endpoints': {
    access: access(['brandA', 'brandB', 'workshopA', 'workshopB']),
    path: () => '/notifications/webhook-endpoints',
    check: (w, caller, body) => {
      if (caller !== 'brandA') expect(JSON.stringify(body)).not.toContain(w.webhookEndpointOfA);
    },
  },
  'GET /notifications/webhook-endpoints/:id': { access: access(['brandA'], { brandB: 404, workshopA: 404, workshopB: 404 }), path: (w) => `/notifications/webhook-endpoints/${w.webhookEndpointOfA}` },
  'PATCH /notifications/webhook-endpoints/:id': {
    access: access(['brandA'], { brandB: 404, workshopA: 404, workshopB: 404 }),
    path: (w) => `/notifications/webhook-endpoints/${w.webhookEndpointOfA}`,
    body: () => ({ description: 'changed' }),
  },
  'DELETE /notifications/webhook-endpoints/:id': {
    access: access(['brandA'], { brandB: 404, workshopA: 404, workshopB: 404 }),
    path: (w) => `/notifications/webhook-endpoints/${w.webhookEndpointOfA}`,
    last: true,
  },
  'POST /notifications/webhook-endpoints/:id/rotate-secret': {
    access: access(['brandA'], { brandB: 404, workshopA: 404, workshopB: 404 }),
    path: (w) => `/notifications/webhook-endpoints/${w.webhookEndpointOfA}/rotate-secret`,
  },
  'GET /notifications/webhook-endpoints/:id/deliveries': {
    access: access(['brandA'], { brandB: 404, workshopA: 404, workshopB: 404 }),
    path: (w) => `/notifications/webhook-endpoints/${w.webhookEndpointOfA}/deliveries`,
  },
  'POST /notifications/webhook-endpoints/:id/deliveries/:deliveryId/redeliver': {
    // Brand A has no delivery of that id (a 404 of the delivery); the others do not see the endpoint.
    access: access([], { brandA: 404, brandB: 404, workshopA: 404, workshopB: 404 }),
    path: (w) => `/notifications/webhook-endpoints/${w.webhookEndpointOfA}/deliveries/999999999/redeliver`,
  },
  // The stream ends after MESHFAB_NOTIFICATIONS_STREAM_MAX_MS (short in this test), as a client reconnects.
  'GET /events/stream': { access: access(['brandA', 'brandB', 'workshopA', 'workshopB']), path: () => '/events/stream' },
  'GET /notifications/events/stream': { access: access(['brandA', 'brandB', 'workshopA', 'workshopB']), path: () => '/notifications/events/stream' },
  // ── analytics (read models kept by notifications): the operator reads anyone's, a member its own only
  'GET /analytics/figures': {
    access: access(['operator', 'brandA']),
    path: (w) => `/analytics/figures?brandId=${w.brandA.id}`,
    check: (w, _caller, body) => expect(body.scope).toEqual({ kind: 'brand', memberId: w.brandA.id }),
  },
  'GET /analytics/utilisation': {
    access: access(['operator', 'workshopA']),
    path: (w) => `/analytics/utilisation?workshopId=${w.workshopA.id}`,
    check: (w, _caller, body) => expect(body.scope).toEqual({ kind: 'workshop', memberId: w.workshopA.id }),
  },
  'GET /analytics/schedule': {
    access: access(['operator', 'brandA']),
    path: (w) => `/analytics/schedule?brandId=${w.brandA.id}`,
    check: (w, _caller, body) => {
      for (const lot of body.items as { brandId: string }[]) expect(lot.brandId).toBe(w.brandA.id);
    },
  },
};
