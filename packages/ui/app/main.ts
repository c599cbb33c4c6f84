/**
 * The hub's UI: one page, a view per path (every view's state is in its URL, so any view can be
 * shared), light and dark themes, and the token prompt when the hub's API is closed.
 */
import './styles.css';
import type { VNode } from 'preact';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { UNAUTHORIZED_EVENT, getJson, setToken } from './api.js';
import { Link, html, useLoad, useLocation } from './html.js';
import { AlertsView } from './views/alerts.js';
import { DashboardsView } from './views/dashboards.js';
import { LogsView } from './views/logs.js';
import { MapView } from './views/map.js';
import { SearchView } from './views/search.js';
import { ServicesView } from './views/services.js';
import { TraceView } from './views/trace.js';

const THEME_KEY = 'pyairtable-obs-theme';
type Theme = 'light' | 'dark';

function initialTheme(): Theme {
  const saved = localStorage.getItem(THEME_KEY);
  if (saved === 'light' || saved === 'dark') return saved;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

const NAV = [
  { href: '/', label: 'Services', matches: (path: string) => path === '/' },
  { href: '/traces', label: 'Traces', matches: (path: string) => path.startsWith('/trace') },
  { href: '/logs', label: 'Logs', matches: (path: string) => path.startsWith('/logs') },
  { href: '/map', label: 'Service map', matches: (path: string) => path.startsWith('/map') },
  { href: '/dashboards', label: 'Dashboards', matches: (path: string) => path.startsWith('/dashboards') },
  { href: '/alerts', label: 'Alerts', matches: (path: string) => path.startsWith('/alerts') },
];

function TokenPrompt(props: { onDone: () => void }): VNode {
  const submit = (event: SubmitEvent): void => {
    event.preventDefault();
    const value = new FormData(event.currentTarget as HTMLFormElement).get('token');
    if (typeof value === 'string' && value !== '') setToken(value);
    props.onDone();
  };
  return html`<form class="token" onSubmit=${submit} aria-labelledby="token-title">
    <h1 id="token-title">This hub asks for its API token</h1>
    <p>
      It was started with <code>HUB_API_TOKEN</code>. Enter that token; this browser keeps it for this hub.
    </p>
    <label>API token <input name="token" type="password" autocomplete="current-password" required /></label>
    <button type="submit">Open the UI</button>
  </form>` as VNode;
}

interface StoreStatus {
  retentionDays: number;
  maxStoreBytes: number;
  spansEvicted: { age: number; size: number };
}

/** Says so when retention or the size cap has deleted spans: older data is not searchable. */
function EvictionNotice(props: { refresh: number }): VNode | null {
  const status = useLoad(`store-status-${String(props.refresh)}`, () =>
    getJson<StoreStatus>('/api/store-status'),
  );
  const data = status.data;
  if (data === undefined || data.spansEvicted.age + data.spansEvicted.size === 0) return null;
  const parts = [
    data.spansEvicted.age > 0
      ? `${String(data.spansEvicted.age)} spans older than ${String(data.retentionDays)} days`
      : '',
    data.spansEvicted.size > 0
      ? `${String(data.spansEvicted.size)} spans beyond the ${(data.maxStoreBytes / 1024 ** 3).toFixed(1)} GiB size cap`
      : '',
  ].filter((part) => part !== '');
  return html`<p class="notice banner" role="status" data-testid="eviction-notice">
    The hub has deleted ${parts.join(' and ')} since it started; searches do not reach them.
  </p>` as VNode;
}

function View(props: { url: URL; refresh: number }): VNode {
  const path = props.url.pathname;
  const services = useLoad(`services-${String(props.refresh)}`, () =>
    getJson<{ services: string[] }>('/api/v3/services'),
  );
  const names = services.data?.services ?? [];
  if (path.startsWith('/trace/'))
    return html`<${TraceView} traceId=${decodeURIComponent(path.slice('/trace/'.length))} />` as VNode;
  if (path === '/traces') return html`<${SearchView} url=${props.url} services=${names} />` as VNode;
  if (path === '/logs') return html`<${LogsView} url=${props.url} services=${names} />` as VNode;
  if (path === '/dashboards' || path.startsWith('/dashboards/'))
    return html`<${DashboardsView} url=${props.url} />` as VNode;
  if (path === '/alerts') return html`<${AlertsView} />` as VNode;
  if (path === '/map') return html`<${MapView} url=${props.url} />` as VNode;
  if (path === '/') return html`<${ServicesView} refresh=${props.refresh} />` as VNode;
  return html`<section>
    <h1>Not found</h1>
    <p>No view at ${path}. <${Link} href="/">Services<//></p>
  </section>` as VNode;
}

function App(): VNode {
  const url = useLocation();
  const [theme, setTheme] = useState<Theme>(initialTheme);
  const [askToken, setAskToken] = useState(false);
  const [refresh, setRefresh] = useState(0);
  useEffect(() => {
    document.documentElement.dataset['theme'] = theme;
    localStorage.setItem(THEME_KEY, theme);
  }, [theme]);
  useEffect(() => {
    const ask = (): void => {
      setAskToken(true);
    };
    window.addEventListener(UNAUTHORIZED_EVENT, ask);
    return () => {
      window.removeEventListener(UNAUTHORIZED_EVENT, ask);
    };
  }, []);
  return html`
    <a class="skip" href="#main">Skip to content</a>
    <header>
      <${Link} href="/" class="brand">PyAirtable observability<//>
      <nav aria-label="Views">
        <ul>
          ${NAV.map((item) => html`<li><${Link} href=${item.href} class=${item.matches(url.pathname) ? 'active' : ''}>${item.label}<//></li>`)}
        </ul>
      </nav>
      <button
        type="button"
        class="theme"
        aria-label=${`Switch to the ${theme === 'dark' ? 'light' : 'dark'} theme`}
        onClick=${() => {
          setTheme(theme === 'dark' ? 'light' : 'dark');
        }}
      >
        ${theme === 'dark' ? 'Light theme' : 'Dark theme'}
      </button>
    </header>
    <main id="main" tabindex="-1">
      <${EvictionNotice} refresh=${refresh} />
      ${
        askToken
          ? html`<${TokenPrompt}
              onDone=${() => {
                setAskToken(false);
                setRefresh((n) => n + 1);
              }}
            />`
          : html`<${View} key=${`${url.pathname}-${String(refresh)}`} url=${url} refresh=${refresh} />`
      }
    </main>
  ` as VNode;
}

const root = document.getElementById('app');
if (root !== null) render(html`<${App} />`, root);
