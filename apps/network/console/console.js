// The Meshfab console: sign in with a bearer token, then the view of the token's role.
import { BrandConsole } from './brand.js';
import { OperatorConsole } from './operator.js';
import { apiOf, html, useMemo, useState } from './ui.js';
import { render } from './vendor/preact-htm.js';
import { WorkshopConsole } from './workshop.js';

const STORAGE_KEY = 'meshfab-console-token';

/** The role and member a token names: a member's token is a JWT (its payload says); the operator's bootstrap credential is opaque. */
function whoIs(token) {
  const parts = token.split('.');
  if (parts.length !== 3) return { role: 'operator', sub: 'operator' };
  try {
    const payload = JSON.parse(atob(parts[1].replace(/-/g, '+').replace(/_/g, '/')));
    return { role: String(payload.role ?? 'unknown'), sub: String(payload.sub ?? '') };
  } catch {
    return { role: 'unknown', sub: '' };
  }
}

function SignIn({ onSignIn }) {
  const [token, setToken] = useState('');
  return html`<main id="main" class="signin">
    <h1>Meshfab console</h1>
    <form onSubmit=${(e) => (e.preventDefault(), token.trim() && onSignIn(token.trim()))}>
      <label for="token">Bearer token</label>
      <p id="token-help" class="muted">Paste the token the network gave you (the operator's is in <code>.data/operator-token</code>). It stays in this tab only.</p>
      <input id="token" name="token" type="password" autocomplete="off" aria-describedby="token-help" required value=${token} onInput=${(e) => setToken(e.currentTarget.value)} />
      <button type="submit" class="primary">Sign in</button>
    </form>
  </main>`;
}

const VIEWS = { operator: OperatorConsole, brand: BrandConsole, workshop: WorkshopConsole };
const TITLES = { operator: 'The network', brand: 'Your orders', workshop: 'Your offers and schedule' };

function App() {
  const [token, setToken] = useState(() => sessionStorage.getItem(STORAGE_KEY));
  const api = useMemo(() => (token ? apiOf(token) : null), [token]);
  if (!token) {
    return html`<${SignIn} onSignIn=${(t) => (sessionStorage.setItem(STORAGE_KEY, t), setToken(t))} />`;
  }
  const who = whoIs(token);
  const View = VIEWS[who.role];
  const signOut = () => (sessionStorage.removeItem(STORAGE_KEY), setToken(null));
  return html`
    <header class="top">
      <a class="skip" href="#main">Skip to content</a>
      <span class="brandmark">Meshfab</span>
      <span class="who" data-role=${who.role}><span class="role">${who.role}</span>${who.role === 'operator' ? '' : ` ${who.sub.slice(0, 12)}`}</span>
      <button type="button" onClick=${signOut}>Sign out</button>
    </header>
    <main id="main" tabindex="-1">
      <h1>${TITLES[who.role] ?? 'Meshfab'}</h1>
      ${View ? html`<${View} api=${api} />` : html`<p role="alert">The console has no view for the role "${who.role}".</p>`}
    </main>
  `;
}

render(html`<${App} />`, document.getElementById('app'));
