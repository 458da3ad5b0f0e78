// A workshop's console: its offers to answer, and its schedule.
import { KeyFigures } from './operator.js';
import { ApiError, day, Gantt, html, money, Section, Status, Table, useApi, useState, when } from './ui.js';

function Offer({ api, offer, onAnswered }) {
  const [mode, setMode] = useState(null); // null | 'decline' | 'counter'
  const [reason, setReason] = useState('');
  const [quantity, setQuantity] = useState(String(offer.quantity));
  const [message, setMessage] = useState(null);
  const id = offer.subtaskId;
  const answer = async (path, body) => {
    setMessage(null);
    try {
      const result = await api(`/matching/offers/${encodeURIComponent(id)}/${path}`, { method: 'POST', body });
      onAnswered(`${path === 'accept' ? 'Accepted' : path === 'decline' ? 'Declined' : 'Countered'}: ${offer.process} × ${offer.quantity}${result?.outcome ? ` (${result.outcome})` : ''}`);
    } catch (error) {
      setMessage(error instanceof ApiError ? `${error.body?.error ?? error.status}: ${error.message}` : String(error));
    }
  };
  return html`<li class="offer card" aria-labelledby=${`offer-${id}`}>
    <h3 id=${`offer-${id}`}>${offer.process} × ${offer.quantity}</h3>
    <p>${money(offer.price.amountMinor, offer.price.currency)} · ${when(offer.plannedStart)} → ${when(offer.plannedEnd)} · answer by ${when(offer.expiresAt)}</p>
    <p class="muted">Order ${offer.orderId}, step ${offer.stepId}</p>
    <div class="actions">
      <button type="button" class="primary" onClick=${() => answer('accept', {})}>Accept</button>
      <button type="button" aria-expanded=${mode === 'decline'} onClick=${() => setMode(mode === 'decline' ? null : 'decline')}>Decline…</button>
      <button type="button" aria-expanded=${mode === 'counter'} onClick=${() => setMode(mode === 'counter' ? null : 'counter')}>Counter…</button>
    </div>
    ${mode === 'decline' &&
    html`<form onSubmit=${(e) => (e.preventDefault(), answer('decline', { reason }))}>
      <label for=${`reason-${id}`}>Why you decline</label>
      <input id=${`reason-${id}`} required maxlength="500" value=${reason} onInput=${(e) => setReason(e.currentTarget.value)} />
      <button type="submit">Decline the offer</button>
    </form>`}
    ${mode === 'counter' &&
    html`<form onSubmit=${(e) => (e.preventDefault(), answer('counter', { quantity: Number(quantity) }))}>
      <label for=${`quantity-${id}`}>Units you can make (at most ${offer.quantity})</label>
      <input id=${`quantity-${id}`} type="number" inputmode="numeric" min="1" max=${offer.quantity} required value=${quantity} onInput=${(e) => setQuantity(e.currentTarget.value)} />
      <button type="submit">Send the counter-offer</button>
    </form>`}
    ${message && html`<p class="error" role="alert">${message}</p>`}
  </li>`;
}

export function WorkshopConsole({ api }) {
  const offers = useApi(api, '/matching/offers?limit=50');
  const schedule = useApi(api, '/analytics/schedule');
  const figures = useApi(api, '/analytics/figures');
  const [notice, setNotice] = useState(null);
  const items = offers.data ? offers.data.items : [];
  const answered = (text) => {
    setNotice(text);
    offers.reload();
    // The schedule follows the accepted offer's event, a moment behind.
    for (const ms of [300, 1000, 2500, 5000]) setTimeout(() => schedule.reload(), ms);
  };
  return html`
    <p class="notice" role="status" aria-live="polite">${notice ?? ''}</p>
    <${Section} id="offers" title="Offers waiting for your answer">
      <${Status} state=${offers} empty=${offers.data && items.length === 0 ? 'No offers are waiting.' : null}>
        <ul class="offers">${items.map((o) => html`<${Offer} key=${o.subtaskId} api=${api} offer=${o} onAnswered=${answered} />`)}</ul>
      </${Status}>
    </${Section}>
    <${Section} id="schedule" title="Your schedule">
      <${Status} state=${schedule} empty=${schedule.data && schedule.data.items.length === 0 ? 'Nothing booked yet.' : null}>
        ${schedule.data &&
        html`<${Gantt} label="Booked lots per order over time" items=${schedule.data.items} rowOf=${(l) => `${l.process} · ${l.orderId.slice(0, 8)}`} labelOf=${(l) => `${l.stepId} · ${l.quantity}`} />
          <${Table}
            id="schedule-table"
            caption="Booked lots by planned start"
            columns=${['Start', 'End', 'Process · step', 'Units', 'Status', 'Order']}
            rowIds=${schedule.data.items.map((l) => l.subtaskId)}
            rows=${schedule.data.items.map((l) => [day(l.plannedStart), day(l.plannedEnd), `${l.process} · ${l.stepId}`, String(l.quantity), l.status, l.orderId.slice(0, 8)])}
          />`}
      </${Status}>
    </${Section}>
    <${Section} id="workshop-figures" title="Your orders and inspections">
      <${Status} state=${figures}>${figures.data && html`<${KeyFigures} figures=${figures.data} />`}</${Status}>
    </${Section}>
  `;
}
