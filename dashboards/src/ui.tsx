/** Small shared pieces: badges, times, errors, the session context, the hash router. */
import { createContext, type ComponentChildren } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import { gql, type ApiError, type IncidentStatus, type Principal, type Severity } from './api.js';

export interface Session {
  token: string;
  me: Principal;
  signOut(): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in page');
  return s;
}

/** The current `#/a/b` route as its parts, decoded. */
export function useRoute(): string[] {
  const read = (): string[] =>
    location.hash
      .replace(/^#\/?/, '')
      .split('?', 1)[0]!
      .split('/')
      .filter(Boolean)
      .map((p) => decodeURIComponent(p));
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = (): void => setRoute(read());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

export const href = (...parts: string[]): string => `#/${parts.map(encodeURIComponent).join('/')}`;

export function SeverityBadge({ severity }: { severity: Severity }) {
  return <span class={`badge sev-${severity.toLowerCase()}`}>{severity.toLowerCase()}</span>;
}

export function StatusBadge({ status }: { status: IncidentStatus }) {
  return <span class={`badge status-${status.toLowerCase()}`}>{status.toLowerCase()}</span>;
}

export const SEVERITY_COLOURS: Record<Severity, string> = {
  LOW: '#5b8def',
  MEDIUM: '#d9a400',
  HIGH: '#e8692c',
  CRITICAL: '#c92a3a',
};

export function fmtTime(iso: string | number | null | undefined): string {
  if (iso == null) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const sameDay = d.toDateString() === new Date().toDateString();
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  return sameDay ? time : `${d.toISOString().slice(0, 10)} ${time}`;
}

export function fmtAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const s = Math.round((now - new Date(iso).getTime()) / 1000);
  if (s < 0) return 'now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

export const humanize = (s: string): string => s.replace(/_/g, ' ').toLowerCase();

/** `incident.acknowledge` → `acknowledge`: the API's action names, as a reader says them. */
export const actionName = (a: string): string => humanize(a.slice(a.lastIndexOf('.') + 1));

export function ErrorBox({ error }: { error: ApiError | Error | string | null | undefined }) {
  if (!error) return null;
  const text = typeof error === 'string' ? error : error.message;
  return (
    <p class="error" role="alert">
      {text}
    </p>
  );
}

/** A table's one row saying it has none (the text says what would appear there). */
export function EmptyRow({ cols, children }: { cols: number; children: ComponentChildren }) {
  return (
    <tr>
      <td colSpan={cols} class="empty">
        {children}
      </td>
    </tr>
  );
}

export function Panel({ title, children, actions, id }: { title: string; children: ComponentChildren; actions?: ComponentChildren; id?: string }) {
  const headingId = `panel-${(id ?? title).replace(/\W+/g, '-').toLowerCase()}`;
  return (
    <section class="panel" aria-labelledby={headingId}>
      <header class="panel-head">
        <h2 id={headingId}>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}

export function Reputation({ value }: { value: number | null | undefined }) {
  if (value == null) return <span class="muted">not scored</span>;
  const pct = Math.round(value * 100);
  const level = value < 0.5 ? 'bad' : value < 0.75 ? 'warn' : 'good';
  return (
    <span class={`rep rep-${level}`} title={value.toFixed(3)}>
      <span class="rep-bar" aria-hidden="true">
        <span style={{ width: `${pct}%` }} />
      </span>
      {value.toFixed(2)}
    </span>
  );
}

/** Data loaded by a query, refetchable; `error` keeps the last failure. */
export function useQuery<T>(query: string, variables: Record<string, unknown>, deps: unknown[] = []) {
  const { token } = useSession();
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    gql<T>(token, query, variables).then(
      (data) => live && setState({ data, loading: false }),
      (error: ApiError) => live && setState((s) => ({ ...s, error, loading: false })),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [token, tick, ...deps]);
  return { ...state, refetch: () => setTick((t) => t + 1) };
}

/** Save JSON as a file through a temporary object URL (no server round trip, CSP-safe). */
export function downloadJson(name: string, value: unknown): void {
  const blob = new Blob([JSON.stringify(value, null, 2) + '\n'], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
