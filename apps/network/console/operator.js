// The operator's console: the whole network.
import { Figures, hours, html, money, pct, Section, Status, Table, useApi } from './ui.js';

/** Utilisation as a heat map: a row per region × process, a column per week, each cell coloured by its share booked. */
function HeatMap({ rows }) {
  const weeks = [...new Set(rows.map((r) => r.week))].sort();
  const lines = [...new Set(rows.map((r) => `${r.region} · ${r.process}`))].sort();
  const cell = new Map(rows.map((r) => [`${r.region} · ${r.process}|${r.week}`, r]));
  const level = (u) => (u === null ? 'none' : String(Math.min(10, Math.round(u * 10))));
  return html`<div class="scroll" tabindex="0" role="region" aria-label="Utilisation heat map">
    <table class="heat" id="utilisation">
      <caption>Share of shared shop hours booked, by region and process (rows) and week (columns)</caption>
      <thead><tr><th scope="col">Region · process</th>${weeks.map((w) => html`<th scope="col">${w}</th>`)}</tr></thead>
      <tbody>
        ${lines.map(
          (line) => html`<tr>
            <th scope="row">${line}</th>
            ${weeks.map((w) => {
              const r = cell.get(`${line}|${w}`);
              const text = r ? `${pct(r.utilisation)} (${hours(r.bookedHours)} of ${hours(r.capacityHours)}, ${r.workshops ?? 0} shops)` : 'no capacity';
              return html`<td class=${`heat-${r ? level(r.utilisation) : 'none'}`} title=${text} aria-label=${`${line}, week ${w}: ${text}`}>${r ? pct(r.utilisation) : ''}</td>`;
            })}
          </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

export function MoneyFlows({ flows }) {
  return html`<${Table}
    caption="Money flows"
    columns=${['Currency', 'Deposited', 'Escrowed', 'Refunded', 'Released', 'Platform fees', 'Penalties', 'To workshops']}
    rows=${flows.map((m) => [
      m.currency,
      money(m.depositedMinor, m.currency),
      money(m.escrowedMinor, m.currency),
      money(m.refundedMinor, m.currency),
      money(m.releasedMinor, m.currency),
      money(m.platformFeesMinor, m.currency),
      money(m.penaltiesMinor, m.currency),
      money(m.paidToWorkshopsMinor, m.currency),
    ])}
  />`;
}

export function KeyFigures({ figures }) {
  const f = figures;
  return html`<${Figures}
    items=${[
      ['orders-submitted', 'Orders submitted', String(f.orders.submitted)],
      ['orders-completed', 'Orders completed', String(f.orders.completed)],
      ['on-time-rate', 'On time', pct(f.orders.onTimeRate)],
      ['lead-time-p50', 'Lead time p50', hours(f.leadTime.p50Hours)],
      ['lead-time-p90', 'Lead time p90', hours(f.leadTime.p90Hours)],
      ['orders-at-risk', 'At risk', String(f.orders.atRisk.length)],
    ]}
  />`;
}

export function DefectTables({ figures, byWorkshop = true }) {
  const rows = (list) => list.map((d) => [d.key, String(d.inspections), String(d.failed), pct(d.failRate), d.defectRate === null ? '–' : pct(d.defectRate)]);
  const columns = ['', 'Inspections', 'Failed', 'Fail rate', 'Defects / sampled'];
  return html`
    <${Table} id="defects-by-process" caption="Inspection outcomes per process" columns=${['Process', ...columns.slice(1)]} rows=${rows(figures.defectsByProcess)} />
    ${byWorkshop ? html`<${Table} id="defects-by-workshop" caption="Inspection outcomes per workshop" columns=${['Workshop', ...columns.slice(1)]} rows=${rows(figures.defectsByWorkshop)} />` : null}
  `;
}

export function OperatorConsole({ api }) {
  const figures = useApi(api, '/analytics/figures');
  const utilisation = useApi(api, '/analytics/utilisation');
  const ledger = useApi(api, '/settlement/ledger/check');
  const dead = useApi(api, '/admin/dead-letters?limit=100');
  const f = figures.data;
  return html`
    <${Section} id="network-figures" title="The network">
      <${Status} state=${figures}>${f && html`<${KeyFigures} figures=${f} />`}</${Status}>
    </${Section}>
    <${Section} id="utilisation-title" title="Workshops by region and process: utilisation">
      <${Status} state=${utilisation} empty=${utilisation.data && utilisation.data.rows.length === 0 ? 'No capacity shared or booked yet.' : null}>
        ${utilisation.data && html`<${HeatMap} rows=${utilisation.data.rows} />`}
      </${Status}>
    </${Section}>
    <${Section} id="orders-by-status" title="Orders by status">
      <${Status} state=${figures}>
        ${f && html`<${Figures} items=${f.orders.byStatus.map((s) => [`status-${s.status}`, s.status, String(s.count)])} />`}
      </${Status}>
    </${Section}>
    <${Section} id="at-risk" title="Orders at risk">
      <${Status} state=${figures} empty=${f && f.orders.atRisk.length === 0 ? 'No open order is at risk.' : null}>
        ${f && html`<${Table} caption="Open orders with a lot at risk" columns=${['Order', 'Brand', 'Reason']} rows=${f.orders.atRisk.map((o) => [o.orderId, o.brandId, o.reason])} />`}
      </${Status}>
    </${Section}>
    <${Section} id="inspections" title="Inspection outcomes">
      <${Status} state=${figures}>${f && html`<${DefectTables} figures=${f} />`}</${Status}>
    </${Section}>
    <${Section} id="money" title="Money">
      <${Status} state=${figures}>${f && html`<${MoneyFlows} flows=${f.money} />`}</${Status}>
    </${Section}>
    <${Section} id="ledger" title="Ledger check">
      <${Status} state=${ledger}>
        ${ledger.data &&
        html`<${Figures}
          items=${[
            ['ledger-balanced', 'Trial balance', ledger.data.balanced ? 'balanced' : 'NOT balanced'],
            ['ledger-accounts', 'Accounts', String(ledger.data.accounts)],
            ['ledger-transfers', 'Transfers', String(ledger.data.transfers)],
          ]}
        />`}
      </${Status}>
    </${Section}>
    <${Section} id="dead-letters" title="Dead letters">
      <${Status} state=${dead}>
        ${dead.data &&
        html`<${Table}
          caption="Messages each service gave up on"
          columns=${['Service', 'Dead letters', 'Latest reason']}
          rows=${dead.data.map((s) => [s.service, String(s.deadLetters.length), s.deadLetters[0]?.reason ?? '–'])}
        />`}
      </${Status}>
    </${Section}>
  `;
}
