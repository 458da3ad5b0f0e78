// Shared pieces of the console: the API caller, formatting, and small accessible building blocks.
import { html, useCallback, useEffect, useMemo, useState } from './vendor/preact-htm.js';

export { html, useCallback, useEffect, useMemo, useState };

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/** Calls the network's API (same origin) with the signed-in bearer token. */
export function apiOf(token) {
  return async (path, { method = 'GET', body } = {}) => {
    const headers = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const answer = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, answer);
    return answer;
  };
}

/**
 * Loads `path` with `api` on mount and on `reload()`; `{ data, error, loading, reload }`. A busy network's
 * 503 or 429 (it says when to come back) is tried again a few times before the section shows the error.
 */
export function useApi(api, path) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const load = useCallback(() => {
    if (!path) return;
    setState((s) => ({ ...s, loading: true }));
    const attempt = (left) =>
      api(path).then(
        (data) => setState({ data, error: null, loading: false }),
        (error) => {
          if (left > 0 && (error.status === 503 || error.status === 429)) return void setTimeout(() => attempt(left - 1), 1000);
          setState({ data: null, error, loading: false });
        },
      );
    attempt(5);
  }, [api, path]);
  useEffect(load, [load]);
  return { ...state, reload: load };
}

export const pct = (rate) => (rate === null || rate === undefined ? '–' : `${(rate * 100).toFixed(1)} %`);
/** Hours as hours, or as minutes below one hour (a demo's orders complete in minutes). */
export const hours = (h) => (h === null || h === undefined ? '–' : h < 1 ? `${(h * 60).toFixed(1)} min` : `${h.toFixed(1)} h`);
export const money = (minor, currency) => `${(minor / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${currency}`;
export const day = (iso) => (iso ? iso.slice(0, 10) : '–');
export const when = (iso) => (iso ? iso.slice(0, 16).replace('T', ' ') : '–');

/** A titled region of the page (a landmark with its heading as its name). */
export function Section({ id, title, children }) {
  return html`<section class="card" aria-labelledby=${id}><h2 id=${id}>${title}</h2>${children}</section>`;
}

/** What a loading, failing or empty section shows instead of its content. */
export function Status({ state, empty, children }) {
  if (state.error) return html`<p class="error" role="alert">Could not load: ${state.error.message}</p>`;
  if (state.loading && !state.data) return html`<p aria-busy="true">Loading…</p>`;
  if (empty) return html`<p>${empty}</p>`;
  return children;
}

/** Key figures as a description list; each value carries `data-figure` (what the browser test compares). */
export function Figures({ items }) {
  return html`<dl class="figures">
    ${items.map(([id, label, value]) => html`<div class="figure"><dt>${label}</dt><dd data-figure=${id}>${value}</dd></div>`)}
  </dl>`;
}

/** A table with a caption and column headers; rows are arrays of cells (`rowIds`: each row's `data-id`). Scrolls sideways on a phone. */
export function Table({ caption, columns, rows, id, rowIds }) {
  return html`<div class="scroll" tabindex="0" role="region" aria-label=${caption}>
    <table id=${id}>
      <caption>${caption}</caption>
      <thead><tr>${columns.map((c) => html`<th scope="col">${c}</th>`)}</tr></thead>
      <tbody>${rows.map((r, n) => html`<tr data-id=${rowIds?.[n]}>${r.map((cell, i) => (i === 0 ? html`<th scope="row">${cell}</th>` : html`<td>${cell}</td>`))}</tr>`)}</tbody>
    </table>
  </div>`;
}

/**
 * Bars on a time axis, one row per `rowOf(item)` (a Gantt chart): each bar from `start` to `end`, its
 * text and title naming the lot, so the chart reads the same without colour or sight.
 */
export function Gantt({ label, items, rowOf, labelOf }) {
  const dated = items.filter((i) => i.plannedStart && i.plannedEnd);
  if (dated.length === 0) return html`<p>No planned lots.</p>`;
  const from = Math.min(...dated.map((i) => Date.parse(i.plannedStart)));
  const to = Math.max(...dated.map((i) => Date.parse(i.plannedEnd)));
  const span = Math.max(1, to - from);
  const rows = [...new Set(dated.map(rowOf))].sort();
  return html`<figure class="gantt">
    <figcaption>${label}: ${day(new Date(from).toISOString())} → ${day(new Date(to).toISOString())}</figcaption>
    <ul class="gantt-rows">
      ${rows.map(
        (row) => html`<li class="gantt-row">
          <span class="gantt-label">${row}</span>
          <span class="gantt-track">
            ${dated
              .filter((i) => rowOf(i) === row)
              .map((i) => {
                const left = ((Date.parse(i.plannedStart) - from) / span) * 100;
                const width = Math.max(1.5, ((Date.parse(i.plannedEnd) - Date.parse(i.plannedStart)) / span) * 100);
                const text = `${labelOf(i)}: ${when(i.plannedStart)} → ${when(i.plannedEnd)} (${i.status})`;
                return html`<span class=${`gantt-bar status-${i.status}`} style=${{ left: `${left}%`, width: `${width}%` }} title=${text} role="img" aria-label=${text}>${labelOf(i)}</span>`;
              })}
          </span>
        </li>`,
      )}
    </ul>
  </figure>`;
}
