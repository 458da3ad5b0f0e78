// A brand's console: its figures, its quotes, its orders with their timelines and plans.
import { DefectTables, KeyFigures, MoneyFlows } from './operator.js';
import { day, Gantt, html, money, Section, Status, Table, useApi, useState, when } from './ui.js';

function OrderDetail({ api, order }) {
  const timeline = useApi(api, `/orders/${encodeURIComponent(order.orderId)}/events`);
  const plan = useApi(api, `/matching/orders/${encodeURIComponent(order.orderId)}/plan`);
  const lots = plan.data ? plan.data.lots.filter((l) => !['declined', 'expired', 'cancelled'].includes(l.status)) : [];
  return html`<div class="detail" id=${`order-${order.orderId}`}>
    <h3>${order.productName} × ${order.quantity} <small>${order.orderId}</small></h3>
    <${Status} state=${plan}>
      <${Gantt} label="Plan: lots per workshop over time" items=${lots} rowOf=${(l) => l.workshopId} labelOf=${(l) => `${l.stepId} · ${l.quantity}`} />
    </${Status}>
    <${Status} state=${timeline}>
      ${timeline.data &&
      html`<ol class="timeline" aria-label="Timeline">
        ${timeline.data.map((e) => html`<li><time datetime=${e.occurredAt}>${when(e.occurredAt)}</time> ${e.type}</li>`)}
      </ol>`}
    </${Status}>
  </div>`;
}

/**
 * The brand's instant quotes (POST /quotes), newest first: one row per option with its total, platform fee and
 * delivery date, the quote's status, confidence and validity (`data-id`: quote id and option, for the test).
 */
function Quotes({ api }) {
  const quotes = useApi(api, '/quotes?limit=20');
  const rows = (quotes.data ?? []).flatMap((q) =>
    q.options.map((o) => ({
      id: `${q.quoteId}:${o.kind}`,
      cells: [
        `${q.quoteId.slice(0, 8)} · ${o.kind}`,
        q.status,
        money(o.totals.totalMinor, o.totals.currency),
        money(o.totals.platformFeeMinor, o.totals.currency),
        day(o.deliveryDate),
        q.confidence.level,
        q.hold && q.hold.option === o.kind ? `held until ${when(q.hold.until)}` : '–',
        when(q.validUntil),
      ],
    })),
  );
  return html`<${Status} state=${quotes} empty=${quotes.data && rows.length === 0 ? 'No quotes yet: POST /quotes with an order body prices it before you commit.' : null}>
    <${Table}
      id="quotes-table"
      caption="Quotes and their options"
      columns=${['Quote · option', 'Status', 'Total', 'Platform fee', 'Delivery', 'Confidence', 'Hold', 'Valid until']}
      rowIds=${rows.map((r) => r.id)}
      rows=${rows.map((r) => r.cells)}
    />
  </${Status}>`;
}

export function BrandConsole({ api }) {
  const figures = useApi(api, '/analytics/figures');
  const orders = useApi(api, '/orders?limit=50');
  const [open, setOpen] = useState(null);
  const f = figures.data;
  const items = orders.data ? orders.data.items : [];
  return html`
    <${Section} id="brand-figures" title="Your orders at a glance">
      <${Status} state=${figures}>${f && html`<${KeyFigures} figures=${f} />`}</${Status}>
    </${Section}>
    <${Section} id="brand-quotes" title="Your quotes">
      <${Quotes} api=${api} />
    </${Section}>
    <${Section} id="brand-orders" title="Your orders">
      <${Status} state=${orders} empty=${orders.data && items.length === 0 ? 'No orders yet.' : null}>
        <ul class="orders">
          ${items.map(
            (o) => html`<li>
              <button type="button" aria-expanded=${open === o.orderId} aria-controls=${`order-${o.orderId}`} onClick=${() => setOpen(open === o.orderId ? null : o.orderId)}>
                <span class="order-name">${o.productName} × ${o.quantity}</span>
                <span class=${`badge status-${o.status}`}>${o.status}</span>
                <span>due ${day(o.dueDate)}</span>
              </button>
              ${open === o.orderId ? html`<${OrderDetail} api=${api} order=${o} />` : null}
            </li>`,
          )}
        </ul>
      </${Status}>
    </${Section}>
    <${Section} id="brand-quality" title="Inspections of your lots">
      <${Status} state=${figures}>${f && html`<${DefectTables} figures=${f} byWorkshop=${false} />`}</${Status}>
    </${Section}>
    <${Section} id="brand-money" title="Your money">
      <${Status} state=${figures}>${f && html`<${MoneyFlows} flows=${f.money} />`}</${Status}>
    </${Section}>
    ${orders.data && orders.data.total > items.length ? html`<p>Showing the newest ${items.length} of ${orders.data.total} orders.</p>` : null}
  `;
}
