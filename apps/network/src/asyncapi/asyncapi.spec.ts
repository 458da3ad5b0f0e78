import { readFileSync } from 'node:fs';
import { contractsOf, eventsTopic, MESHFAB_SERVICES } from '#libs/contracts';
import { NETWORK_SERVICES } from '../network.services.js';
import { buildAsyncApiDocument, renderAsyncApi } from './asyncapi.js';

type Doc = {
  channels: Record<string, { address: string; messages: Record<string, unknown> }>;
  operations: Record<string, { action: string; messages: { $ref: string }[] }>;
  components: { messages: Record<string, { payload: { properties: Record<string, { $ref?: string }> } }>; schemas: Record<string, { required?: string[]; properties: Record<string, unknown> }> };
};

const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
const rendered = renderAsyncApi(buildAsyncApiDocument(NETWORK_SERVICES, version));
const doc = JSON.parse(rendered) as Doc;

describe('the AsyncAPI document of the integration events', () => {
  it('is checked in as generated from the contracts now (else run `npm run asyncapi`)', () => {
    const checkedIn = readFileSync('docs/asyncapi.json', 'utf8');
    // Compared as text: any change of a contract, a handler or the generator shows up here.
    expect(checkedIn === rendered ? 'up to date' : 'docs/asyncapi.json is stale: run `npm run asyncapi` and commit it').toBe('up to date');
  });

  it('has one channel per producing service and one message per registered event type', () => {
    for (const service of MESHFAB_SERVICES) {
      const types = contractsOf(service).map((c) => c.type);
      if (types.length === 0) continue;
      expect(doc.channels[`${service}Events`].address).toBe(eventsTopic(service));
      expect(Object.keys(doc.channels[`${service}Events`].messages).sort()).toEqual([...types].sort());
      for (const type of types) expect(doc.components.messages[type].payload.properties.data.$ref).toMatch(/^#\/components\/schemas\//);
    }
  });

  it('describes the contracts as their validators do', () => {
    const submitted = doc.components.schemas.OrderSubmittedContract;
    expect(submitted.required).toEqual(expect.arrayContaining(['orderId', 'brandId', 'quantity', 'dueDate', 'route']));
    expect(submitted.required).not.toContain('budget');
    expect(submitted.properties.quantity).toEqual({ minimum: 1, type: 'integer' });
    expect(submitted.properties.route).toEqual({ type: 'array', items: { $ref: '#/components/schemas/RouteStepDto' } });
    expect(submitted.properties.dueDate).toEqual({ type: 'string', format: 'date-time' });
    expect(doc.components.schemas.MoneyDto.properties.currency).toEqual({ enum: ['CNY', 'USD', 'EUR'] });
  });

  it('lets each service receive only the types it handles, and every $ref resolves', () => {
    const settlementHears = doc.operations.settlementReceivesMatchingEvents.messages.map((m) => m.$ref.split('/').at(-1));
    expect(settlementHears).toEqual(expect.arrayContaining(['SubtaskAccepted', 'SubtaskCompleted']));
    expect(settlementHears).not.toContain('SubtaskOffered');
    const refs = [...rendered.matchAll(/"\$ref": "#\/([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(100);
    for (const ref of refs) {
      const target = ref.split('/').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
      expect([ref, target !== undefined]).toEqual([ref, true]);
    }
  });
});
