// The console (/console) in a real headless Chromium (Debian's `chromium` package, or CHROMIUM_PATH) on a
// demo-sized network: each role signs in by pasting its token and sees the figures the API gives it; a
// workshop accepts an offer through the page. Screenshots go to .data/console-screenshots/ for review.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { CONSOLE_CSP } from '#libs/platform';
import { startHost, type RunningHost } from '#libs/runtime';
import { testDatabaseUrl, testSigningEnv, testTokens, waitFor } from '#libs/testing';
import { mountConsole } from '../../apps/network/src/console/console-site.js';
import { MeshfabClient } from '../../apps/network/src/client/meshfab-client.js';
import { runDemo } from '../../apps/network/src/demo/scenario.js';
import { NETWORK_SERVICES } from '../../apps/network/src/network.services.js';
import { dropSchemas, freshSchemas } from './service-schemas.js';

const SECRET = 'console-e2e-secret-that-is-long-enough-for-hs256';
const OPERATOR = `op_console-e2e-${randomUUID()}`;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = '.data/console-screenshots';
type Json = Record<string, any>;
const PHONE = { width: 390, height: 844, isMobile: true, hasTouch: true, deviceScaleFactor: 1 };

const pct = (rate: number | null) => (rate === null ? '–' : `${(rate * 100).toFixed(1)} %`);
const hours = (h: number | null) => (h === null ? '–' : h < 1 ? `${(h * 60).toFixed(1)} min` : `${h.toFixed(1)} h`);

describe('the console in a real browser', () => {
  const schemas = freshSchemas('console');
  const members: { role: 'brand' | 'workshop'; id: string; token: string }[] = [];
  const cspViolations: string[] = [];
  let host: RunningHost;
  let browser: Browser;
  let client: MeshfabClient;

  const api = async (path: string, token: string): Promise<Json> => {
    const r = await fetch(`${host.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(200);
    return (await r.json()) as Json;
  };
  const figureText = (page: Page, id: string): Promise<string | null> => page.$eval(`[data-figure="${id}"]`, (e: { textContent: string | null }) => e.textContent);

  /** A new tab on a phone-sized screen, signed in with `token` through the form, with the keyboard. */
  async function signIn(token: string, viewport: typeof PHONE | { width: number; height: number } = PHONE): Promise<Page> {
    const page = await browser.newPage();
    await page.setViewport(viewport);
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    await page.goto(`${host.url}/console`, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('label[for="token"]');
    await page.focus('#token');
    await page.keyboard.type(token);
    await page.keyboard.press('Enter');
    return page;
  }

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    mkdirSync(SHOTS, { recursive: true });
    host = await startHost('network', NETWORK_SERVICES, {
      embedded: true,
      env: { ...schemas, DATABASE_URL: testDatabaseUrl(), PORT: '0', ...testSigningEnv(SECRET), MESHFAB_OPERATOR_TOKEN: OPERATOR, LOG_LEVEL: 'warn', MESHFAB_DATA_DIR: '.data/e2e-console', MESHFAB_DB_POOL_SIZE: '6' },
      mount: (app) => mountConsole(app),
    });
    // A shared database under load may answer 503 for a moment: the demo's calls try again, as its CLI does.
    client = new MeshfabClient(host.url, { retry: { forMs: 30_000 } });
    const signInspectorTokens = (keys: readonly string[]) => Promise.all(keys.map((k) => testTokens(SECRET).issue({ sub: `inspector-console-${k}`, role: 'inspector' })));
    const demo = runDemo(client, { operatorToken: OPERATOR, signInspectorTokens }, {
      workshops: 12,
      orders: 4,
      seed: 11,
      runId: randomUUID().slice(0, 8),
      timeoutMs: 150_000,
      payouts: false,
      onMemberJoined: async (m) => void members.push(m),
    });
    [browser] = await Promise.all([puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] }), demo]);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await host?.stop();
    await dropSchemas(schemas);
  });

  it('serves the console with a policy of its own scripts and styles only, and the API with none', async () => {
    const page = await fetch(`${host.url}/console/`);
    expect([page.status, page.headers.get('content-type'), page.headers.get('content-security-policy')]).toEqual([200, 'text/html; charset=utf-8', CONSOLE_CSP]);
    expect((await fetch(`${host.url}/console/vendor/preact-htm.js`)).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await fetch(`${host.url}/analytics/figures`)).headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    expect((await fetch(`${host.url}/console/missing.js`)).status).toBe(404);
  });

  it("shows the operator the network's figures, the utilisation heat map and the ledger check as the API gives them", async () => {
    const figures = await api('/analytics/figures', OPERATOR);
    const utilisation = await api('/analytics/utilisation', OPERATOR);
    const page = await signIn(OPERATOR, { width: 1280, height: 900 });
    await page.waitForSelector('#utilisation');
    await page.waitForSelector('[data-figure="ledger-balanced"]');
    await page.waitForSelector('[data-figure="orders-submitted"]');
    await page.waitForSelector('section[aria-labelledby="dead-letters"] table');
    expect(await figureText(page, 'orders-submitted')).toBe(String(figures.orders.submitted));
    expect(await figureText(page, 'orders-completed')).toBe(String(figures.orders.completed));
    expect(await figureText(page, 'on-time-rate')).toBe(pct(figures.orders.onTimeRate));
    expect(await figureText(page, 'lead-time-p90')).toBe(hours(figures.leadTime.p90Hours));
    expect(await figureText(page, 'ledger-balanced')).toBe('balanced');
    const heatRows = await page.$$eval('#utilisation tbody tr', (rows) => rows.length);
    expect(heatRows).toBe(new Set(utilisation.rows.map((r: any) => `${r.region} · ${r.process}`)).size);
    expect(await page.$$eval('#defects-by-process tbody tr', (rows) => rows.length)).toBe(figures.defectsByProcess.length);
    await page.screenshot({ path: `${SHOTS}/operator-desktop.png`, fullPage: true });
    await page.setViewport(PHONE);
    await page.screenshot({ path: `${SHOTS}/operator-phone.png`, fullPage: true });
    await page.close();
  });

  it('shows a brand its quotes and its own orders, each with its timeline and a Gantt chart of its plan', async () => {
    // The brand with the most orders of the run (some have none).
    const brands = await Promise.all(members.filter((m) => m.role === 'brand').map(async (b) => ({ b, orders: await api('/orders?limit=50', b.token) })));
    const { b: brand, orders } = brands.sort((x, y) => y.orders.items.length - x.orders.items.length)[0];
    expect(orders.items.length).toBeGreaterThan(0);
    const figures = await api('/analytics/figures', brand.token);
    // An instant quote (nothing booked): each of its options is a row of the quotes table, at the API's total.
    const quote = await client.post<Json>('/quotes', brand.token, {
      sku: 'TEE-QUOTE',
      productName: 'Quoted T-shirt',
      quantity: 80,
      unit: 'pcs',
      dueDate: new Date(Date.now() + 40 * 86_400_000).toISOString(),
      delivery: { lat: 30.27, lng: 120.15, city: 'Hangzhou' },
      route: [{ stepId: 'cut', process: 'cutting', workContentHoursPerUnit: 0.05, inspection: { level: 'II', aql: 2.5 } }],
    });
    expect(quote.options.length).toBeGreaterThan(0);
    const page = await signIn(brand.token);
    await page.waitForSelector('.orders > li > button');
    await page.waitForSelector('[data-figure="orders-submitted"]');
    expect(await figureText(page, 'orders-submitted')).toBe(String(figures.orders.submitted));
    expect(await figureText(page, 'orders-completed')).toBe(String(figures.orders.completed));
    expect(await figureText(page, 'lead-time-p50')).toBe(hours(figures.leadTime.p50Hours));
    expect(await page.$$eval('.orders > li', (items) => items.length)).toBe(orders.items.length);
    await page.waitForSelector('#quotes-table tbody tr');
    for (const option of quote.options) {
      const cells = await page.$$eval(`#quotes-table tbody tr[data-id="${quote.quoteId}:${option.kind}"] > *`, (row: { textContent: string | null }[]) => row.map((c) => c.textContent));
      const total = `${(option.totals.totalMinor / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${option.totals.currency}`;
      expect(cells.slice(1, 3)).toEqual([quote.status, total]);
    }
    const first = orders.items[0];
    const plan = await api(`/matching/orders/${first.orderId}/plan`, brand.token);
    const timeline = await api(`/orders/${first.orderId}/events`, brand.token);
    await page.focus('.orders > li > button');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.gantt-bar');
    await page.waitForSelector('.timeline li');
    const planned = plan.lots.filter((l: any) => !['declined', 'expired', 'cancelled'].includes(l.status));
    expect(await page.$$eval('.gantt-bar', (bars) => bars.length)).toBe(planned.length);
    expect(await page.$$eval('.timeline li', (items) => items.length)).toBe(timeline.length);
    await page.screenshot({ path: `${SHOTS}/brand-phone.png`, fullPage: true });
    await page.close();
  });

  it('lets a workshop accept an offer through the page, and shows its schedule', async () => {
    // A new order after the run: its offers wait for an answer.
    const brand = members.find((m) => m.role === 'brand')!;
    const { orderId } = await client.post<{ orderId: string }>(
      '/orders',
      brand.token,
      {
        sku: 'TEE-CONSOLE',
        productName: 'Console T-shirt',
        quantity: 120,
        unit: 'pcs',
        dueDate: new Date(Date.now() + 40 * 86_400_000).toISOString(),
        delivery: { lat: 30.27, lng: 120.15, city: 'Hangzhou' },
        route: [{ stepId: 'cut', process: 'cutting', workContentHoursPerUnit: 0.05, inspection: { level: 'II', aql: 2.5 } }],
      },
      randomUUID(),
    );
    const offer = await waitFor(async () => (await client.getAll<Json>('/matching/offers?limit=500', OPERATOR)).find((o): boolean => o.orderId === orderId), { timeoutMs: 30_000 });
    const workshop = members.find((m) => m.id === offer.workshopId)!;
    const schedule = await api('/analytics/schedule', workshop.token);

    const page = await signIn(workshop.token);
    await page.waitForSelector(`[aria-labelledby="offer-${offer.subtaskId}"] button.primary`);
    expect(await page.$$eval('#schedule-table tbody tr', (rows) => rows.length)).toBe(schedule.items.length);
    await page.screenshot({ path: `${SHOTS}/workshop-offers-phone.png`, fullPage: true });
    await page.focus(`[aria-labelledby="offer-${offer.subtaskId}"] button.primary`);
    await page.keyboard.press('Enter');
    await page.waitForFunction((): boolean => (globalThis as Json).document.querySelector('.notice')?.textContent?.startsWith('Accepted') === true);
    expect((await api(`/matching/subtasks/${offer.subtaskId}`, workshop.token)).status).toBe('accepted');
    // The schedule follows the accepted lot (the analytics read model, a moment behind).
    await page.waitForFunction((id) => (globalThis as Json).document.querySelector(`#schedule-table tbody tr[data-id="${id}"]`) !== null, { timeout: 15_000 }, offer.subtaskId);
    await page.screenshot({ path: `${SHOTS}/workshop-accepted-phone.png`, fullPage: true });
    await page.close();
  });

  it('broke no rule of its Content-Security-Policy on any page', () => {
    expect(cspViolations).toEqual([]);
  });
});
