// One valid body per request DTO, by class name: the fuzzer mutates these, so most cases get past the
// JSON edge and deep into validation and the handlers. A DTO without an example fails the enumeration
// test, so a new body endpoint cannot be fuzzed with noise alone.
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const money = (amountMinor: number) => ({ amountMinor, currency: 'CNY' });
const location = { lat: 29.87, lng: 121.55, region: 'Zhejiang', city: 'Ningbo' };
const capability = { process: 'cutting', parameters: { materials: ['cotton'] }, efficiency: 1, pricing: 'per_unit', price: money(150) };

export const BODY_EXAMPLES: Record<string, () => unknown> = {
  DiscardDeadLetterDto: () => ({ reason: 'booked by hand after the fuzz run' }),
  RegisterBrandDto: () => ({ name: 'Fuzzed Apparel', contactEmail: 'ops@fuzzed-apparel.example' }),
  RegisterInspectorDto: () => ({ name: 'Fuzz Inspector', certifications: ['ISO 2859-1'], processes: ['cutting'], regions: ['Zhejiang'], affiliations: ['brand-fuzz'] }),
  UpdateInspectorProfileDto: () => ({ certifications: ['ISO 2859-1'], processes: ['cutting', 'sewing'], regions: [], affiliations: ['workshop-fuzz'] }),
  RegisterServiceCredentialDto: () => ({ name: 'fuzz host, eu-1' }),
  RegisterOperatorDto: () => ({ name: 'Fuzz Operator', contactEmail: 'fuzz.operator@meshfab.example' }),
  RegisterWorkshopDto: () => ({ name: 'Fuzz Cutting Room', location, certifications: ['ISO 9001'], capabilities: [capability] }),
  UpdateWorkshopProfileDto: () => ({ name: 'Fuzz Cutting Room II', location, certifications: ['ISO 9001', 'OEKO-TEX'] }),
  SetCapabilitiesDto: () => ({ capabilities: [capability, { ...capability, process: 'sewing', pricing: 'per_hour', price: money(4000) }] }),
  CapacityChangeDto: () => ({ action: 'declare', process: 'cutting', hoursPerDay: 8, from: day(1), until: day(60), exceptions: [{ date: day(7), hours: 0 }] }),
  ReasonDto: () => ({ reason: 'quality review after a customer complaint' }),
  SubmitOrderDto: () => ({
    sku: 'TEE-FUZZ-M',
    productName: 'Fuzzed cotton T-shirt',
    designFiles: ['s3://fuzz/tee.dxf'],
    quantity: 50,
    unit: 'pcs',
    dueDate: new Date(Date.now() + 40 * 86_400_000).toISOString(),
    delivery: { lat: 30.27, lng: 120.15, city: 'Hangzhou' },
    route: [
      { stepId: 'cut', process: 'cutting', parameters: { material: 'cotton' }, workContentHoursPerUnit: 0.05, inspection: { level: 'II', aql: 2.5 } },
      { stepId: 'sew', process: 'sewing', workContentHoursPerUnit: 0.1, inspection: { level: 'II', aql: 2.5 }, dependsOn: ['cut'] },
    ],
    splitPolicy: { maxWorkshopsPerStep: 2, minLotSize: 10 },
    budget: money(5_000_000),
  }),
  RequestQuoteDto: () => ({ ...(BODY_EXAMPLES.SubmitOrderDto() as object), hold: 'cheapest' }),
  AcceptQuoteDto: () => ({ option: 'fastest' }),
  CancelOrderDto: () => ({ reason: 'the collection was dropped' }),
  DeclineOfferDto: () => ({ reason: 'a cutting table is down this week' }),
  CounterOfferDto: () => ({ quantity: 20, plannedEnd: new Date(Date.now() + 20 * 86_400_000).toISOString() }),
  ReportProgressDto: () => ({ doneQuantity: 10 }),
  CompleteSubtaskDto: () => ({ goodQuantity: 50, scrapQuantity: 0 }),
  RecordResultDto: () => ({
    sampled: 8,
    defects: { critical: 0, major: 0, minor: 1 },
    rejectedUnits: 0,
    evidence: [{ kind: 'photo', ref: 's3://fuzz/lot.jpg', note: 'seam close-up' }],
    measurements: [{ sample: 1, characteristic: 'seam allowance', value: 10.2, unit: 'mm' }],
    fileIds: ['ev_fuzz'],
    notes: 'sampled from three cartons',
  }),
  DisputeResultDto: () => ({ reason: 'the seams open after one wash', evidence: [{ kind: 'photo', ref: 'img-1' }], fileIds: ['ev_fuzz'] }),
  UploadEvidenceDto: () => ({ kind: 'photo', fileName: 'seam.jpg', contentType: 'image/jpeg', contentBase64: Buffer.from('a fuzzed photo').toString('base64') }),
  NameBrandInspectorDto: () => ({ inspectorId: 'inspector-fuzz' }),
  ReassignLotDto: () => ({ inspectorId: 'inspector-fuzz', reason: 'the assigned inspector is on leave' }),
  ReinstateDto: () => ({ reason: 'corrective action verified on site' }),
  CreateFundingIntentDto: () => ({ amount: money(100_000) }),
  RequestManualCreditDto: () => ({ brandId: 'brand-fuzz', amount: money(100_000), reason: 'bank booking without a reference' }),
  RejectManualCreditDto: () => ({ reason: 'no such booking on the statement' }),
  SandboxPaymentDto: () => ({ reference: 'MF-FUZZ-FUZZ-FUZZ', amount: money(100_000), transactionId: 'sbx-fuzz-0001' }),
  PayoutRequestDto: () => ({ amount: money(100), currency: 'CNY' }),
  MarkPayoutPaidDto: () => ({ bankReference: 'ICBC-FUZZ-0001' }),
  CreateWebhookEndpointDto: () => ({ url: 'https://hooks.fuzzed-apparel.example/meshfab', eventTypes: ['*'], description: 'fuzz' }),
  UpdateWebhookEndpointDto: () => ({ eventTypes: ['*'], description: 'fuzz, changed', status: 'enabled' }),
};
