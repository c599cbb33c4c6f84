/** htm bound to Preact, the router, and the hooks every view uses to load data. */
import { h } from 'preact';
import type { ComponentChildren, VNode } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import htm from 'htm';
import { Unauthorized } from './api.js';

export const html = htm.bind(h);

const listeners = new Set<() => void>();
window.addEventListener('popstate', () => {
  for (const listener of listeners) listener();
});

/** Goes to a path of the UI, keeping history (every view's state is in its URL). */
export function navigate(path: string): void {
  history.pushState(null, '', path);
  for (const listener of listeners) listener();
}

/** The current location; re-renders the caller when it changes. */
export function useLocation(): URL {
  const [url, setUrl] = useState(() => new URL(location.href));
  useEffect(() => {
    const update = (): void => {
      setUrl(new URL(location.href));
    };
    listeners.add(update);
    return () => listeners.delete(update);
  }, []);
  return url;
}

export function Link(props: {
  href: string;
  children?: ComponentChildren;
  class?: string;
  title?: string;
}): VNode {
  const click = (event: MouseEvent): void => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    navigate(props.href);
  };
  return html`<a href=${props.href} class=${props.class} title=${props.title} onClick=${click}
    >${props.children}</a
  >` as VNode;
}

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: string | undefined;
  readonly loading: boolean;
  readonly unauthorized: boolean;
}

/** Loads `load()` whenever `key` changes; the last answer wins. */
export function useLoad<T>(key: string, load: () => Promise<T>): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({
    data: undefined,
    error: undefined,
    loading: true,
    unauthorized: false,
  });
  useEffect(() => {
    let current = true;
    setState((previous) => ({ ...previous, loading: true }));
    load().then(
      (data) => {
        if (current) setState({ data, error: undefined, loading: false, unauthorized: false });
      },
      (error: unknown) => {
        if (current)
          setState({
            data: undefined,
            error: error instanceof Error ? error.message : String(error),
            loading: false,
            unauthorized: error instanceof Unauthorized,
          });
      },
    );
    return () => {
      current = false;
    };
  }, [key]);
  return state;
}

/** What a view shows while loading or after a failure. */
export function Status(props: {
  loaded: Loaded<unknown>;
  empty?: boolean;
  emptyText?: string;
}): VNode | null {
  const { loaded } = props;
  if (loaded.error !== undefined)
    return html`<p class="notice error" role="alert">${loaded.error}</p>` as VNode;
  if (loaded.loading && loaded.data === undefined)
    return html`<p class="notice" aria-live="polite">Loading…</p>` as VNode;
  if (props.empty === true)
    return html`<p class="notice">${props.emptyText ?? 'Nothing here yet.'}</p>` as VNode;
  return null;
}
