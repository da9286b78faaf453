/**
 * The dashboards' entry: sign-in, then the pages the token's role is offered. The API
 * enforces the roles; the pages only avoid offering what would be refused.
 */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { gql, type ApiError, type Principal, type Role } from './api.js';
import { ErrorBox, SessionContext, href, useRoute, useSession, type Session } from './ui.js';
import { IncidentsPage } from './pages/incidents.js';
import { IncidentPage } from './pages/incident.js';
import { VehiclesPage } from './pages/vehicles.js';
import { VehiclePage } from './pages/vehicle.js';
import { MapPage } from './pages/map.js';
import { RogueNowPage } from './pages/rogue-now.js';
import { LedgerPage } from './pages/ledger.js';
import { VerifyPage } from './pages/verify.js';

const TOKEN_KEY = 'vigil.token';

interface PageDef {
  path: string;
  title: string;
  /** Shown in the navigation (detail pages are reached by links). */
  nav: boolean;
  roles: readonly Role[];
}

const PAGES: readonly PageDef[] = [
  { path: 'incidents', title: 'Incidents', nav: true, roles: ['ANALYST', 'ADMIN'] },
  { path: 'incident', title: 'Incident', nav: false, roles: ['ANALYST', 'ADMIN', 'AUDITOR'] },
  { path: 'vehicles', title: 'Vehicles', nav: true, roles: ['AUTHORITY', 'ADMIN'] },
  { path: 'map', title: 'Map', nav: true, roles: ['AUTHORITY', 'ADMIN'] },
  { path: 'rogue', title: 'Rogue now', nav: true, roles: ['AUTHORITY', 'ADMIN'] },
  { path: 'vehicle', title: 'Vehicle', nav: false, roles: ['AUTHORITY', 'ADMIN', 'ANALYST'] },
  { path: 'ledger', title: 'Ledger', nav: true, roles: ['AUDITOR', 'ADMIN'] },
  { path: 'verify', title: 'Verify evidence', nav: true, roles: ['AUDITOR', 'ADMIN'] },
];

const HOME: Record<Role, string> = { ANALYST: 'incidents', AUTHORITY: 'vehicles', AUDITOR: 'ledger', ADMIN: 'incidents' };

function SignIn({ onSignedIn, notice }: { onSignedIn: (token: string, me: Principal) => void; notice?: string }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { me } = await gql<{ me: Principal }>(token.trim(), '{ me { tokenId name role } }');
      onSignedIn(token.trim(), me);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <form class="panel signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <div class="brand brand-large" aria-hidden="true">
          <span class="brand-mark">V</span> Vigil
        </div>
        <h1 id="signin-title">Sign in</h1>
        <p class="muted">Paste the API token you were given (<code>vigil token create</code>). It is kept for this browser tab only.</p>
        {notice && <p class="notice">{notice}</p>}
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autocomplete="off" spellcheck={false} required value={token} onInput={(e) => setToken(e.currentTarget.value)} placeholder="vgl_…" />
        <ErrorBox error={error} />
        <button type="submit" class="primary" disabled={busy || token.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

function Shell() {
  const session = useSession();
  const route = useRoute();
  const role = session.me.role;
  const [head, ...rest] = route;
  const page = PAGES.find((p) => p.path === head);
  useEffect(() => {
    if (!page) location.replace(href(HOME[role]));
  }, [page, role]);
  const allowed = page?.roles.includes(role) ?? false;
  useEffect(() => {
    document.title = page ? `${page.title} · Vigil` : 'Vigil';
  }, [page]);
  return (
    <>
      <header class="topbar">
        <a class="brand" href={href(HOME[role])}>
          <span class="brand-mark" aria-hidden="true">
            V
          </span>
          Vigil
        </a>
        <nav aria-label="Pages">
          {PAGES.filter((p) => p.nav && p.roles.includes(role)).map((p) => (
            <a href={href(p.path)} aria-current={p.path === head || (p.path === 'incidents' && head === 'incident') || (p.path === 'vehicles' && head === 'vehicle') ? 'page' : undefined}>
              {p.title}
            </a>
          ))}
        </nav>
        <div class="who">
          <span>
            {session.me.name} <span class="role">{role.toLowerCase()}</span>
          </span>
          <button type="button" class="ghost" onClick={session.signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main class="content">
        {!page ? null : !allowed ? (
          <p class="notice" role="alert">
            The {role.toLowerCase()} role is not offered the {page.title.toLowerCase()} page.
          </p>
        ) : (
          <Page path={page.path} arg={rest[0]} />
        )}
      </main>
    </>
  );
}

function Page({ path, arg }: { path: string; arg: string | undefined }) {
  switch (path) {
    case 'incidents':
      return <IncidentsPage />;
    case 'incident':
      return arg ? <IncidentPage id={arg} key={arg} /> : <p>No incident given.</p>;
    case 'vehicles':
      return <VehiclesPage />;
    case 'vehicle':
      return arg ? <VehiclePage id={arg} key={arg} /> : <p>No vehicle given.</p>;
    case 'map':
      return <MapPage />;
    case 'rogue':
      return <RogueNowPage />;
    case 'ledger':
      return <LedgerPage />;
    case 'verify':
      return <VerifyPage />;
    default:
      return null;
  }
}

function App() {
  const [session, setSession] = useState<{ token: string; me: Principal } | null>(null);
  const [checking, setChecking] = useState(() => sessionStorage.getItem(TOKEN_KEY) !== null);
  const [notice, setNotice] = useState<string | undefined>();

  useEffect(() => {
    const saved = sessionStorage.getItem(TOKEN_KEY);
    if (!saved) return;
    gql<{ me: Principal }>(saved, '{ me { tokenId name role } }').then(
      ({ me }) => {
        setSession({ token: saved, me });
        setChecking(false);
      },
      (err: ApiError) => {
        sessionStorage.removeItem(TOKEN_KEY);
        setNotice(err.code === 'UNAUTHENTICATED' ? 'Your token is no longer accepted; sign in again.' : err.message);
        setChecking(false);
      },
    );
  }, []);

  if (checking) return <p class="loading">Loading…</p>;
  if (!session) {
    return (
      <SignIn
        {...(notice ? { notice } : {})}
        onSignedIn={(token, me) => {
          sessionStorage.setItem(TOKEN_KEY, token);
          setSession({ token, me });
        }}
      />
    );
  }
  const value: Session = {
    ...session,
    signOut: () => {
      sessionStorage.removeItem(TOKEN_KEY);
      setSession(null);
      location.hash = '';
    },
  };
  return (
    <SessionContext.Provider value={value}>
      <Shell />
    </SessionContext.Provider>
  );
}

render(<App />, document.getElementById('app')!);
