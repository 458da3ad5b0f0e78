/**
 * The demo's invented manufacturing network, drawn from one seed: workshops in four industrial
 * clusters (garments around Ningbo and Hangzhou, machining around Shenyang and Dongguan), the brands
 * that order from them, their products' process routes, and the stream of orders with a peak season.
 * Pure data: nothing here talks to the network.
 */
import { Prng } from './prng.js';

export type Industry = 'garment' | 'machining';
export type Pricing = 'per_unit' | 'per_hour';

export interface GeoPoint {
  lat: number;
  lng: number;
}

export interface ClusterSpec {
  id: string;
  city: string;
  province: string;
  industry: Industry;
  centre: GeoPoint;
  /** Share of all workshops in this cluster. */
  share: number;
  districts: readonly string[];
  /** Main process of a workshop here, with how often it occurs. */
  processes: readonly { process: string; weight: number }[];
}

export interface ProcessEconomics {
  pricing: Pricing;
  /** Price range in minor units (fen) per unit or per machine-hour. */
  price: readonly [number, number];
  /** Hours shared per day (the registry takes 0..24 per process and day). */
  hoursPerDay: readonly [number, number];
  /** What the shop is called after its district and a fancy word. */
  nouns: readonly string[];
  parameters: Record<string, unknown>;
}

export interface CapabilitySpec {
  process: string;
  efficiency: number;
  pricing: Pricing;
  priceMinor: number;
  hoursPerDay: number;
  parameters: Record<string, unknown>;
}

export interface WorkshopSpec {
  key: string;
  name: string;
  cluster: string;
  city: string;
  province: string;
  location: GeoPoint;
  certifications: string[];
  capabilities: CapabilitySpec[];
  /** How often the shop turns an offer down (busy with its own customers, a machine down). */
  declineRate: number;
  /** Share of units with a major defect in a normal lot (minor defects are twice as common). */
  defectRate: number;
  /** How often a lot goes wrong (wrong fabric lot, a broken fixture): scrap and many defects. */
  badBatchRate: number;
}

export interface InspectorSpec {
  key: string;
  name: string;
  /** Share of the defects in a sample that this inspector finds. */
  thoroughness: number;
  industry: Industry;
}

export interface BrandSpec {
  key: string;
  name: string;
  industry: Industry;
  delivery: GeoPoint & { city: string };
  /** Deposit up front as a multiple of the expected cost of its orders (< 1: tops up when asked). */
  fundingFactor: number;
}

export interface RouteStepSpec {
  stepId: string;
  process: string;
  workContentHoursPerUnit: number;
  inspection: { level: 'II'; aql: number };
  dependsOn: string[];
  parameters?: Record<string, unknown>;
}

export interface ProductSpec {
  sku: string;
  name: string;
  industry: Industry;
  /** Peak-season products end with their heaviest step, the one split across shops. */
  season: 'normal' | 'peak';
  unit: string;
  quantity: readonly [number, number];
  route: readonly RouteStepSpec[];
}

export interface OrderSpec {
  index: number;
  key: string;
  brandKey: string;
  product: ProductSpec;
  quantity: number;
  dueInDays: number;
  peak: boolean;
  /** Submission time as a share of the submission phase (0..1). */
  at: number;
}

export interface Scenario {
  seed: number;
  workshops: WorkshopSpec[];
  brands: BrandSpec[];
  inspectors: InspectorSpec[];
  orders: OrderSpec[];
}

export const CLUSTERS: readonly ClusterSpec[] = [
  {
    id: 'ningbo',
    city: 'Ningbo',
    province: 'Zhejiang',
    industry: 'garment',
    centre: { lat: 29.87, lng: 121.55 },
    share: 0.3,
    districts: ['Yinzhou', 'Beilun', 'Jiangbei', 'Zhenhai', 'Fenghua', 'Cixi', 'Yuyao', 'Haishu'],
    processes: [
      { process: 'cutting', weight: 3 },
      { process: 'sewing', weight: 5 },
      { process: 'embroidery', weight: 2 },
      { process: 'packing', weight: 2 },
    ],
  },
  {
    id: 'hangzhou',
    city: 'Hangzhou',
    province: 'Zhejiang',
    industry: 'garment',
    centre: { lat: 30.27, lng: 120.15 },
    share: 0.2,
    districts: ['Xiaoshan', 'Yuhang', 'Binjiang', 'Gongshu', 'Linping', 'Fuyang', 'Tonglu'],
    processes: [
      { process: 'cutting', weight: 3 },
      { process: 'sewing', weight: 4 },
      { process: 'embroidery', weight: 3 },
      { process: 'packing', weight: 2 },
    ],
  },
  {
    id: 'shenyang',
    city: 'Shenyang',
    province: 'Liaoning',
    industry: 'machining',
    centre: { lat: 41.8, lng: 123.43 },
    share: 0.2,
    districts: ['Tiexi', 'Hunnan', 'Dadong', 'Shenbei', 'Sujiatun', 'Huanggu', 'Yuhong'],
    processes: [
      { process: 'cnc-milling', weight: 5 },
      { process: 'cnc-turning', weight: 3 },
      { process: 'anodizing', weight: 2 },
      { process: 'assembly', weight: 2 },
      { process: 'packing', weight: 1 },
    ],
  },
  {
    id: 'dongguan',
    city: 'Dongguan',
    province: 'Guangdong',
    industry: 'machining',
    centre: { lat: 23.02, lng: 113.75 },
    share: 0.3,
    districts: ["Chang'an", 'Humen', 'Houjie', 'Dalang', 'Tangxia', 'Qingxi', 'Songshan Lake', 'Liaobu'],
    processes: [
      { process: 'cnc-milling', weight: 4 },
      { process: 'cnc-turning', weight: 2 },
      { process: 'anodizing', weight: 3 },
      { process: 'assembly', weight: 3 },
      { process: 'packing', weight: 2 },
    ],
  },
];

export const PROCESS_ECONOMICS: Record<string, ProcessEconomics> = {
  cutting: { pricing: 'per_unit', price: [60, 140], hoursPerDay: [8, 16], nouns: ['Cutting Room', 'Pattern & Cut', 'Cutting Works'], parameters: { materials: ['cotton', 'polyester', 'denim'], maxLayers: 80 } },
  sewing: { pricing: 'per_hour', price: [3200, 5200], hoursPerDay: [12, 24], nouns: ['Sewing Co-op', 'Garment Works', 'Stitch House', 'Apparel Lines'], parameters: { machines: ['lockstitch', 'overlock', 'coverstitch'] } },
  embroidery: { pricing: 'per_unit', price: [90, 260], hoursPerDay: [8, 16], nouns: ['Embroidery Studio', 'Thread Art', 'Logo Works'], parameters: { heads: 12, maxColours: 9 } },
  packing: { pricing: 'per_unit', price: [15, 45], hoursPerDay: [8, 16], nouns: ['Packing Centre', 'Fulfilment', 'Pack & Ship'], parameters: { labelling: true } },
  'cnc-milling': { pricing: 'per_hour', price: [11000, 22000], hoursPerDay: [12, 24], nouns: ['Precision Milling', 'CNC Works', 'Machining Centre'], parameters: { axes: 5, materials: ['6061-T6', '7075'], toleranceMm: 0.02 } },
  'cnc-turning': { pricing: 'per_hour', price: [8000, 16000], hoursPerDay: [10, 22], nouns: ['Turning Shop', 'Lathe Works', 'Turned Parts'], parameters: { maxDiameterMm: 120, materials: ['6061-T6', '304'] } },
  anodizing: { pricing: 'per_unit', price: [250, 700], hoursPerDay: [10, 24], nouns: ['Anodizing Line', 'Surface Finishing', 'Coating Works'], parameters: { types: ['II', 'III'], colours: ['black', 'silver'] } },
  assembly: { pricing: 'per_hour', price: [3800, 6200], hoursPerDay: [8, 20], nouns: ['Assembly Hall', 'Assembly Works', 'Build Shop'], parameters: { esdSafe: true } },
};

/** A second process some shops also run (a cutting room that also packs, a mill with a lathe). */
const SIDELINES: Record<string, readonly string[]> = {
  cutting: ['packing'],
  sewing: ['packing', 'cutting'],
  embroidery: ['cutting'],
  packing: [],
  'cnc-milling': ['cnc-turning'],
  'cnc-turning': ['cnc-milling'],
  anodizing: [],
  assembly: ['packing'],
};

const FANCY = ['Silverthread', 'Harbour', 'Jade', 'Lotus', 'Eastwind', 'Goldleaf', 'Redstone', 'Bluebridge', 'Pine', 'Crane', 'Pearl', 'Summit', 'Riverside', 'Bamboo', 'Ironoak', 'Sunrise'];
const MACHINE_FANCY = ['Northgate', 'Steelhorn', 'Keystone', 'Forgeline', 'True-Axis', 'Bright', 'Orbit', 'Anvil', 'Meridian', 'Vector', 'Granite', 'Falcon', 'Sparrow', 'Tianli', 'Hengda', 'Ruifeng'];

const GARMENT_INSPECTION = { level: 'II', aql: 2.5 } as const;
const MACHINING_INSPECTION = { level: 'II', aql: 1.5 } as const;

export const PRODUCTS: readonly ProductSpec[] = [
  {
    sku: 'TEE-ORG',
    name: 'Organic cotton T-shirt',
    industry: 'garment',
    season: 'normal',
    unit: 'pcs',
    quantity: [400, 2400],
    route: [
      { stepId: 'cut', process: 'cutting', workContentHoursPerUnit: 0.02, inspection: GARMENT_INSPECTION, dependsOn: [] },
      { stepId: 'sew', process: 'sewing', workContentHoursPerUnit: 0.12, inspection: GARMENT_INSPECTION, dependsOn: ['cut'] },
      { stepId: 'pack', process: 'packing', workContentHoursPerUnit: 0.01, inspection: GARMENT_INSPECTION, dependsOn: ['sew'] },
    ],
  },
  {
    // The parallel branch: the body is cut while the chest panel is embroidered, then both are sewn together.
    sku: 'HOOD-EMB',
    name: 'Hoodie with embroidered chest panel',
    industry: 'garment',
    season: 'normal',
    unit: 'pcs',
    quantity: [300, 1800],
    route: [
      { stepId: 'cut-body', process: 'cutting', workContentHoursPerUnit: 0.03, inspection: GARMENT_INSPECTION, dependsOn: [] },
      { stepId: 'embroider-panel', process: 'embroidery', workContentHoursPerUnit: 0.04, inspection: GARMENT_INSPECTION, dependsOn: [], parameters: { colours: 4 } },
      { stepId: 'sew', process: 'sewing', workContentHoursPerUnit: 0.2, inspection: GARMENT_INSPECTION, dependsOn: ['cut-body', 'embroider-panel'] },
      { stepId: 'pack', process: 'packing', workContentHoursPerUnit: 0.015, inspection: GARMENT_INSPECTION, dependsOn: ['sew'] },
    ],
  },
  {
    sku: 'JKT-WIND',
    name: 'Lined windbreaker jacket',
    industry: 'garment',
    season: 'normal',
    unit: 'pcs',
    quantity: [200, 1200],
    route: [
      { stepId: 'cut-shell', process: 'cutting', workContentHoursPerUnit: 0.04, inspection: GARMENT_INSPECTION, dependsOn: [] },
      { stepId: 'cut-lining', process: 'cutting', workContentHoursPerUnit: 0.03, inspection: GARMENT_INSPECTION, dependsOn: [] },
      { stepId: 'embroider-logo', process: 'embroidery', workContentHoursPerUnit: 0.02, inspection: GARMENT_INSPECTION, dependsOn: ['cut-shell'] },
      { stepId: 'sew', process: 'sewing', workContentHoursPerUnit: 0.3, inspection: GARMENT_INSPECTION, dependsOn: ['embroider-logo', 'cut-lining'] },
      { stepId: 'pack', process: 'packing', workContentHoursPerUnit: 0.02, inspection: GARMENT_INSPECTION, dependsOn: ['sew'] },
    ],
  },
  {
    sku: 'DRN-ARM',
    name: 'Drone arm bracket, 6061 aluminium',
    industry: 'machining',
    season: 'normal',
    unit: 'pcs',
    quantity: [200, 1200],
    route: [
      { stepId: 'mill', process: 'cnc-milling', workContentHoursPerUnit: 0.2, inspection: MACHINING_INSPECTION, dependsOn: [] },
      { stepId: 'anodize', process: 'anodizing', workContentHoursPerUnit: 0.02, inspection: MACHINING_INSPECTION, dependsOn: ['mill'], parameters: { type: 'II', colour: 'black' } },
      { stepId: 'pack', process: 'packing', workContentHoursPerUnit: 0.01, inspection: MACHINING_INSPECTION, dependsOn: ['anodize'] },
    ],
  },
  {
    // The 5-step machined kit: housing milled while the spindle is turned, housing anodized, both assembled, packed.
    sku: 'SPK-ENC',
    name: 'Aluminium speaker enclosure kit',
    industry: 'machining',
    season: 'normal',
    unit: 'kits',
    quantity: [150, 900],
    route: [
      { stepId: 'mill-housing', process: 'cnc-milling', workContentHoursPerUnit: 0.35, inspection: MACHINING_INSPECTION, dependsOn: [] },
      { stepId: 'turn-spindle', process: 'cnc-turning', workContentHoursPerUnit: 0.1, inspection: MACHINING_INSPECTION, dependsOn: [] },
      { stepId: 'anodize', process: 'anodizing', workContentHoursPerUnit: 0.03, inspection: MACHINING_INSPECTION, dependsOn: ['mill-housing'] },
      { stepId: 'assemble', process: 'assembly', workContentHoursPerUnit: 0.15, inspection: MACHINING_INSPECTION, dependsOn: ['anodize', 'turn-spindle'] },
      { stepId: 'pack', process: 'packing', workContentHoursPerUnit: 0.01, inspection: MACHINING_INSPECTION, dependsOn: ['assemble'] },
    ],
  },
  {
    sku: 'BIKE-STEM',
    name: 'Bicycle stem, forged and machined',
    industry: 'machining',
    season: 'normal',
    unit: 'pcs',
    quantity: [300, 1500],
    route: [
      { stepId: 'turn', process: 'cnc-turning', workContentHoursPerUnit: 0.08, inspection: MACHINING_INSPECTION, dependsOn: [] },
      { stepId: 'mill', process: 'cnc-milling', workContentHoursPerUnit: 0.15, inspection: MACHINING_INSPECTION, dependsOn: ['turn'] },
      { stepId: 'anodize', process: 'anodizing', workContentHoursPerUnit: 0.02, inspection: MACHINING_INSPECTION, dependsOn: ['mill'] },
      { stepId: 'assemble', process: 'assembly', workContentHoursPerUnit: 0.05, inspection: MACHINING_INSPECTION, dependsOn: ['anodize'] },
    ],
  },
  // Peak season (Singles' Day, the spring cycling season, a product launch): big orders whose last,
  // heaviest step needs more shop hours before the due date than any single shop shares.
  {
    sku: 'TEE-1111',
    name: "Singles' Day promo T-shirt",
    industry: 'garment',
    season: 'peak',
    unit: 'pcs',
    quantity: [2000, 12000],
    route: [
      { stepId: 'cut', process: 'cutting', workContentHoursPerUnit: 0.02, inspection: GARMENT_INSPECTION, dependsOn: [] },
      { stepId: 'sew', process: 'sewing', workContentHoursPerUnit: 0.12, inspection: GARMENT_INSPECTION, dependsOn: ['cut'] },
    ],
  },
  {
    sku: 'HOOD-1111',
    name: "Singles' Day hoodie with embroidered panel",
    industry: 'garment',
    season: 'peak',
    unit: 'pcs',
    quantity: [1500, 8000],
    route: [
      { stepId: 'cut-body', process: 'cutting', workContentHoursPerUnit: 0.03, inspection: GARMENT_INSPECTION, dependsOn: [] },
      { stepId: 'embroider-panel', process: 'embroidery', workContentHoursPerUnit: 0.02, inspection: GARMENT_INSPECTION, dependsOn: [], parameters: { colours: 2 } },
      { stepId: 'sew', process: 'sewing', workContentHoursPerUnit: 0.2, inspection: GARMENT_INSPECTION, dependsOn: ['cut-body', 'embroider-panel'] },
    ],
  },
  {
    sku: 'STEM-BLANK',
    name: 'Bicycle stem blanks for the spring season',
    industry: 'machining',
    season: 'peak',
    unit: 'pcs',
    quantity: [1500, 8000],
    route: [
      { stepId: 'turn', process: 'cnc-turning', workContentHoursPerUnit: 0.06, inspection: MACHINING_INSPECTION, dependsOn: [] },
      { stepId: 'mill', process: 'cnc-milling', workContentHoursPerUnit: 0.15, inspection: MACHINING_INSPECTION, dependsOn: ['turn'] },
    ],
  },
  {
    sku: 'ENC-SHELL',
    name: 'Launch batch of milled enclosure shells',
    industry: 'machining',
    season: 'peak',
    unit: 'pcs',
    quantity: [1000, 6000],
    route: [{ stepId: 'mill-shell', process: 'cnc-milling', workContentHoursPerUnit: 0.3, inspection: MACHINING_INSPECTION, dependsOn: [] }],
  },
];

const BRANDS: readonly Omit<BrandSpec, 'key' | 'fundingFactor'>[] = [
  { name: 'Lanting Apparel', industry: 'garment', delivery: { lat: 31.23, lng: 121.47, city: 'Shanghai' } },
  { name: 'Qiantang Outdoor', industry: 'garment', delivery: { lat: 30.27, lng: 120.15, city: 'Hangzhou' } },
  { name: 'Mulberry & Moss', industry: 'garment', delivery: { lat: 22.54, lng: 114.06, city: 'Shenzhen' } },
  { name: 'Little Kite Kids', industry: 'garment', delivery: { lat: 39.9, lng: 116.4, city: 'Beijing' } },
  { name: 'Kestrel Drones', industry: 'machining', delivery: { lat: 22.54, lng: 114.06, city: 'Shenzhen' } },
  { name: 'Northwind Cycles', industry: 'machining', delivery: { lat: 36.07, lng: 120.38, city: 'Qingdao' } },
  { name: 'Copperleaf Audio', industry: 'machining', delivery: { lat: 31.23, lng: 121.47, city: 'Shanghai' } },
];

export interface ScenarioOptions {
  seed: number;
  workshops: number;
  orders: number;
  /** Share of orders that come in the peak season (larger, tighter; no single shop can make them). */
  peakShare?: number;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Scatter around a cluster centre (about ±20 km). */
function near(prng: Prng, centre: GeoPoint): GeoPoint {
  return { lat: round2(centre.lat + prng.real(-0.18, 0.18)), lng: round2(centre.lng + prng.real(-0.22, 0.22)) };
}

function capability(prng: Prng, process: string, scale: number): CapabilitySpec {
  const e = PROCESS_ECONOMICS[process];
  const efficiency = round2(prng.real(0.85, 1.25));
  return {
    process,
    efficiency,
    pricing: e.pricing,
    // Faster shops charge a little more per hour; per-unit prices are what the market bears.
    priceMinor: Math.round(prng.real(e.price[0], e.price[1]) / 10) * 10,
    hoursPerDay: Math.min(24, Math.max(4, Math.round(prng.real(e.hoursPerDay[0], e.hoursPerDay[1]) * scale))),
    parameters: e.parameters,
  };
}

/**
 * Which cluster and main process each workshop has: first every process of both industries once
 * (so even a dozen shops cover every process), then once more in the other clusters, then the rest by
 * cluster share and the cluster's process mix.
 */
function placements(prng: Prng, count: number): { cluster: ClusterSpec; process: string }[] {
  const byId = new Map(CLUSTERS.map((c) => [c.id, c]));
  const interleave = (a: string, b: string) => {
    const [x, y] = [byId.get(a)!, byId.get(b)!];
    const out: { cluster: ClusterSpec; process: string }[] = [];
    for (let i = 0; i < Math.max(x.processes.length, y.processes.length); i++) {
      if (i < x.processes.length) out.push({ cluster: x, process: x.processes[i].process });
      if (i < y.processes.length) out.push({ cluster: y, process: y.processes[i].process });
    }
    return out;
  };
  // Every process of both industries once (Ningbo, Dongguan), then once more in the other two clusters.
  const seeds = [...interleave('ningbo', 'dongguan'), ...interleave('hangzhou', 'shenyang')].slice(0, count);
  while (seeds.length < count) {
    const cluster = prng.weighted(CLUSTERS.map((c) => ({ item: c, weight: c.share })));
    seeds.push({ cluster, process: prng.weighted(cluster.processes.map((p) => ({ item: p.process, weight: p.weight }))) });
  }
  return seeds;
}

function makeWorkshops(prng: Prng, count: number): WorkshopSpec[] {
  const workshops: WorkshopSpec[] = [];
  const names = new Set<string>();
  const perCluster = new Map<string, number>();
  for (const { cluster, process: main } of placements(prng, count)) {
    const n = (perCluster.get(cluster.id) ?? 0) + 1;
    perCluster.set(cluster.id, n);
    const processes = [main];
    const side = SIDELINES[main];
    if (side.length > 0 && prng.chance(0.3)) processes.push(prng.pick(side));
    const district = prng.pick(cluster.districts);
    const fancy = prng.pick(cluster.industry === 'garment' ? FANCY : MACHINE_FANCY);
    let name = `${district} ${fancy} ${prng.pick(PROCESS_ECONOMICS[main].nouns)}`;
    for (let k = 2; names.has(name); k++) name = `${district} ${fancy} ${PROCESS_ECONOMICS[main].nouns[0]} No. ${k}`;
    names.add(name);
    const tier = prng.weighted([
      { item: 'good', weight: 70 },
      { item: 'average', weight: 25 },
      { item: 'poor', weight: 5 },
    ]);
    const defectRate = tier === 'good' ? prng.real(0.002, 0.012) : tier === 'average' ? prng.real(0.012, 0.025) : prng.real(0.04, 0.07);
    const declineTier = prng.next();
    const declineRate = declineTier < 0.7 ? prng.real(0, 0.04) : declineTier < 0.95 ? prng.real(0.08, 0.15) : 0.3;
    workshops.push({
      key: `${cluster.id}-${String(n).padStart(3, '0')}`,
      name,
      cluster: cluster.id,
      city: cluster.city,
      province: cluster.province,
      location: near(prng, cluster.centre),
      certifications: prng.chance(0.6) ? ['ISO 9001'] : prng.chance(0.3) ? ['ISO 9001', cluster.industry === 'garment' ? 'OEKO-TEX 100' : 'IATF 16949'] : [],
      capabilities: processes.map((p, j) => capability(prng, p, j === 0 ? 1 : 0.5)),
      declineRate: round2(declineRate),
      defectRate: Math.round(defectRate * 10_000) / 10_000,
      badBatchRate: tier === 'poor' ? 0.12 : tier === 'average' ? 0.05 : 0.02,
    });
  }
  return workshops;
}

/** Builds the whole scenario from the seed; the same options always give the same network and orders. */
export function buildScenario(options: ScenarioOptions): Scenario {
  const prng = new Prng(options.seed);
  const workshops = makeWorkshops(prng, options.workshops);
  const brands: BrandSpec[] = BRANDS.map((b, i) => ({
    ...b,
    key: `brand-${i + 1}`,
    // One cautious brand funds a third of what it orders and tops up when the network says a lot waits for funds.
    fundingFactor: i === 2 ? 0.35 : 1.6,
  }));
  const inspectors: InspectorSpec[] = [
    { key: 'insp-1', name: 'Zhou Min (garments, Zhejiang)', thoroughness: 0.95, industry: 'garment' },
    { key: 'insp-2', name: 'Chen Lei (garments, Zhejiang)', thoroughness: 0.85, industry: 'garment' },
    { key: 'insp-3', name: 'Wang Fang (machining, Liaoning)', thoroughness: 0.9, industry: 'machining' },
    { key: 'insp-4', name: 'Li Qiang (machining, Guangdong)', thoroughness: 1, industry: 'machining' },
  ];
  const peakShare = options.peakShare ?? 0.3;
  const peakFrom = Math.max(1, Math.round(options.orders * (1 - peakShare)));
  const drafts = Array.from({ length: options.orders }, (_, index) => {
    const peak = options.orders > 1 && index >= peakFrom;
    const brand = prng.pick(brands);
    const product = prng.pick(PRODUCTS.filter((p) => p.industry === brand.industry && p.season === (peak ? 'peak' : 'normal')));
    const dueInDays = peak ? prng.int(35, 50) : prng.int(30, 60);
    return { index, brand, product, peak, dueInDays, draw: prng.next() };
  });
  const heaviest = (product: ProductSpec) => product.route[product.route.length - 1];
  const peakOrdersOf = new Map<string, number>();
  for (const d of drafts) if (d.peak) peakOrdersOf.set(heaviest(d.product).process, (peakOrdersOf.get(heaviest(d.product).process) ?? 0) + 1);
  const orders: OrderSpec[] = drafts.map(({ index, brand, product, peak, dueInDays, draw }) => {
    const [lo, hi] = product.quantity;
    let quantity = lo + Math.round(draw * (hi - lo));
    if (peak) quantity = Math.min(hi, peakQuantity(workshops, product, dueInDays, draw, peakOrdersOf.get(heaviest(product).process) ?? 1));
    return {
      index,
      key: `order-${String(index + 1).padStart(4, '0')}`,
      brandKey: brand.key,
      product,
      quantity: Math.max(50, Math.round(quantity / 50) * 50),
      dueInDays,
      peak,
      at: index / Math.max(1, options.orders),
    };
  });
  return { seed: options.seed, workshops, brands, inspectors, orders };
}

/**
 * A peak order's size from the network it is ordered from: its last (heaviest) step needs 1.5 to 2.5
 * times what the largest shop of that process shares over half the time to the due date — so it must
 * be split — but the peak orders on that process together take at most 60 % of every such shop's
 * hours in that time, and the first steps stay small enough for one shop each.
 */
function peakQuantity(workshops: readonly WorkshopSpec[], product: ProductSpec, dueInDays: number, draw: number, sharing: number): number {
  const hours = (process: string) => workshops.flatMap((w) => w.capabilities.filter((c) => c.process === process).map((c) => c.hoursPerDay / c.efficiency));
  const last = product.route[product.route.length - 1];
  const window = dueInDays * 0.5;
  const shops = hours(last.process);
  const largest = Math.max(0, ...shops) * window;
  const all = shops.reduce((a, b) => a + b, 0) * window;
  let units = Math.min(((1.5 + draw) * largest) / last.workContentHoursPerUnit, (0.6 * all) / sharing / last.workContentHoursPerUnit);
  for (const step of product.route.slice(0, -1)) {
    units = Math.min(units, (0.5 * Math.max(0, ...hours(step.process)) * dueInDays * 0.4) / step.workContentHoursPerUnit);
  }
  return units;
}

/** Rough cost of an order at mid-market prices (what a brand budgets for it). */
export function estimatedCostMinor(order: Pick<OrderSpec, 'product' | 'quantity'>): number {
  return order.product.route.reduce((sum, step) => {
    const e = PROCESS_ECONOMICS[step.process];
    const mid = (e.price[0] + e.price[1]) / 2;
    return sum + Math.round(e.pricing === 'per_unit' ? mid * order.quantity : mid * 1.1 * step.workContentHoursPerUnit * order.quantity);
  }, 0);
}

/** Shop hours an order needs per process at reference efficiency. */
export function hoursByProcess(order: Pick<OrderSpec, 'product' | 'quantity'>): Map<string, number> {
  const hours = new Map<string, number>();
  for (const step of order.product.route) hours.set(step.process, (hours.get(step.process) ?? 0) + step.workContentHoursPerUnit * order.quantity);
  return hours;
}
