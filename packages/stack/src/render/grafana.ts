/**
 * Grafana provisioning: datasources with fixed UIDs (dashboards refer to them by UID, so they
 * must never be generated), trace-to-logs on the contract's trace id field, and one dashboard
 * provider per folder. Grafana expands `$VAR`, `${VAR}` and `$__file{path}` in provisioning
 * files, so a literal `$` is written `$$`; the Elasticsearch password is read from its Compose
 * secret through `$__file`, never written here.
 */
import { LOG_FIELDS } from '@pyairtable/conventions';
import { DASHBOARD_FOLDERS, DATASOURCE_UIDS, grafanaDashboard } from '@pyairtable/dashboards';
import type { ComponentName } from '../components.js';
import { modelDashboards } from '../dashboards.js';
import type { StackModel } from '../model.js';
import { secretPath } from '../secrets.js';
import type { RenderedFile } from './elastic.js';
import { ELASTIC_SERVICE_USERS, LOG_INDEX_PREFIX } from './elastic.js';
import { renderYaml } from './yaml.js';
import { UI_PASSWORDS, UI_USER } from '../tls/layout.js';
import { CA_CERTIFICATE, TLS_DIRECTORY } from '../tls/web-config.js';

/** Where the Compose render mounts dashboards inside the Grafana container. */
export const GRAFANA_DASHBOARDS_DIR = '/etc/grafana/dashboards';

/** The component behind each datasource type: a datasource is provisioned only if it runs. */
const DATASOURCE_COMPONENTS: Readonly<Record<string, ComponentName>> = {
  prometheus: 'prometheus',
  jaeger: 'jaeger',
  elasticsearch: 'elasticsearch',
  alertmanager: 'alertmanager',
};

/** A datasource's settings, with our CA when the stack runs TLS, and the UI's admin login where it has one. */
function tlsLogin(
  model: StackModel,
  component: 'prometheus' | 'alertmanager' | 'jaeger',
  jsonData: Record<string, unknown>,
): Record<string, unknown> {
  if (!model.tls) return { jsonData };
  // The Prometheus operator's web config has no basic auth: in Kubernetes they ask no password.
  const password =
    component === 'jaeger' || model.target === 'kubernetes' ? undefined : UI_PASSWORDS[component];
  return {
    ...(password === undefined ? {} : { basicAuth: true, basicAuthUser: UI_USER }),
    jsonData: { ...jsonData, tlsAuthWithCACert: true },
    secureJsonData: {
      ...(password === undefined ? {} : { basicAuthPassword: `$__file{${TLS_DIRECTORY}/${password.file}}` }),
      tlsCACert: `$__file{${TLS_DIRECTORY}/${CA_CERTIFICATE}}`,
    },
  };
}

/** `$` escaped for Grafana's provisioning interpolation. */
const literal = (value: string): string => value.replace(/\$/g, '$$$$');

export function grafanaDatasources(model: StackModel, scrapeInterval: string): object {
  const traceQuery = literal(`${LOG_FIELDS.traceId}:"\${__trace.traceId}"`);
  return {
    apiVersion: 1,
    datasources: [
      {
        name: 'Prometheus',
        uid: DATASOURCE_UIDS.prometheus,
        type: 'prometheus',
        access: 'proxy',
        url: model.url('prometheus'),
        isDefault: true,
        editable: false,
        ...tlsLogin(model, 'prometheus', {
          httpMethod: 'POST',
          timeInterval: scrapeInterval,
          prometheusType: 'Prometheus',
        }),
      },
      {
        name: 'Jaeger',
        uid: DATASOURCE_UIDS.jaeger,
        type: 'jaeger',
        access: 'proxy',
        url: model.url('jaeger'),
        editable: false,
        ...tlsLogin(model, 'jaeger', {
          tracesToLogsV2: {
            datasourceUid: DATASOURCE_UIDS.logs,
            spanStartTimeShift: '-5m',
            spanEndTimeShift: '5m',
            // One field, not a full-text search for the id anywhere.
            customQuery: true,
            query: traceQuery,
          },
          nodeGraph: { enabled: true },
        }),
      },
      {
        name: 'Logs',
        uid: DATASOURCE_UIDS.logs,
        type: 'elasticsearch',
        access: 'proxy',
        url: model.url('elasticsearch'),
        editable: false,
        basicAuth: true,
        // Its own user, which may only read the logs.
        basicAuthUser: ELASTIC_SERVICE_USERS.grafana.username,
        jsonData: {
          index: `${LOG_INDEX_PREFIX}*`,
          timeField: LOG_FIELDS.timestamp,
          logMessageField: LOG_FIELDS.message,
          logLevelField: LOG_FIELDS.level,
          maxConcurrentShardRequests: 5,
          ...(model.elasticsearchCaFile === undefined ? {} : { tlsAuthWithCACert: true }),
          dataLinks: [
            {
              field: LOG_FIELDS.traceId,
              datasourceUid: DATASOURCE_UIDS.jaeger,
              url: literal('${__value.raw}'),
              urlDisplayLabel: 'Open trace',
            },
          ],
        },
        secureJsonData: {
          basicAuthPassword: `$__file{${secretPath(ELASTIC_SERVICE_USERS.grafana.secret)}}`,
          ...(model.elasticsearchCaFile === undefined
            ? {}
            : { tlsCACert: `$__file{${model.elasticsearchCaFile}}` }),
        },
      },
      {
        name: 'Alertmanager',
        uid: DATASOURCE_UIDS.alertmanager,
        type: 'alertmanager',
        access: 'proxy',
        url: model.url('alertmanager'),
        editable: false,
        ...tlsLogin(model, 'alertmanager', {
          implementation: 'prometheus',
          handleGrafanaManagedAlerts: false,
        }),
      },
    ].filter((datasource) => {
      const component = DATASOURCE_COMPONENTS[datasource.type];
      return component !== undefined && model.components.includes(component);
    }),
  };
}

function dashboardProviders(): object {
  return {
    apiVersion: 1,
    providers: Object.entries(DASHBOARD_FOLDERS).map(([folder, { title, uid }]) => ({
      name: uid,
      orgId: 1,
      folder: title,
      folderUid: uid,
      type: 'file',
      disableDeletion: true,
      allowUiUpdates: false,
      updateIntervalSeconds: 60,
      options: { path: `${GRAFANA_DASHBOARDS_DIR}/${folder}` },
    })),
  };
}

export function renderGrafanaFiles(model: StackModel): RenderedFile[] {
  const scrape = model.intervalsOverride?.scrapeSeconds ?? model.settings.scrapeIntervalSeconds;
  return [
    {
      path: 'grafana/provisioning/datasources/pyairtable.yaml',
      content: renderYaml(
        grafanaDatasources(model, `${String(scrape)}s`),
        `Grafana datasources, profile ${model.profile}`,
      ),
    },
    {
      path: 'grafana/provisioning/dashboards/pyairtable.yaml',
      content: renderYaml(dashboardProviders(), 'Grafana dashboard providers'),
    },
    ...modelDashboards(model).map((dashboard) => ({
      path: `grafana/dashboards/${dashboard.folder}/${dashboard.uid}.json`,
      content: `${JSON.stringify(grafanaDashboard(dashboard), null, 2)}\n`,
    })),
  ];
}
