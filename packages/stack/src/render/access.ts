/**
 * Who opens what, and how: the published UIs of a Compose render with their URL and sign-in,
 * and the security warnings of the render (TLS or single sign-on turned off). The render's
 * README lists them and writes them to `access.json`, which `obs up --mode docker` prints as
 * its access table. No secret value is written, only where to find it.
 */
import type { ComponentName } from '../components.js';
import { COMPONENTS, speaksTls } from '../components.js';
import type { StackModel } from '../model.js';
import { STACK_SECRETS } from '../secrets.js';
import type { SsoSettings } from '../sso.js';
import { UI_PASSWORDS, UI_USER } from '../tls/layout.js';
import { ELASTIC_USER } from './elastic.js';

export const ACCESS_FILE = 'access.json';

export interface AccessEntry {
  readonly component: ComponentName;
  readonly url: string;
  readonly purpose: string;
  /** How people sign in ('-' where the UI asks nothing). */
  readonly credentials: string;
}

export interface AccessSheet {
  readonly profile: string;
  readonly tls: boolean;
  readonly entries: readonly AccessEntry[];
  /** TLS or single sign-on turned off on purpose: printed under the access table. */
  readonly warnings: readonly string[];
}

function credentials(model: StackModel, component: ComponentName, sso: SsoSettings | undefined): string {
  const where = model.profile === 'development' ? ' (in .env beside the compose file)' : '';
  switch (component) {
    case 'grafana':
      return sso === undefined
        ? `admin / ${STACK_SECRETS.grafanaAdminPassword.variable}${where}`
        : `single sign-on (${sso.provider}); admin / ${STACK_SECRETS.grafanaAdminPassword.variable} as a fallback`;
    case 'kibana':
      return `${ELASTIC_USER} / ${STACK_SECRETS.elasticPassword.variable}${where}`;
    case 'prometheus':
    case 'alertmanager':
      return model.tls ? `${UI_USER} / ${UI_PASSWORDS[component].file} in the TLS directory` : '-';
    default:
      return '-';
  }
}

export function accessSheet(
  model: StackModel,
  published: Readonly<Partial<Record<ComponentName, number>>>,
  publishAddress: string,
  sso: SsoSettings | undefined,
  warnings: readonly string[],
): AccessSheet {
  const entries = (Object.entries(published) as [ComponentName, number][])
    .filter(([component]) => model.components.includes(component))
    .map(([component, port]) => ({
      component,
      url: `${model.tls && speaksTls(component) ? 'https' : 'http'}://${publishAddress}:${String(port)}`,
      purpose: COMPONENTS[component].purpose,
      credentials: credentials(model, component, sso),
    }));
  return { profile: model.profile, tls: model.tls, entries, warnings };
}
