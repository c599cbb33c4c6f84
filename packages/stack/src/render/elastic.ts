/**
 * The log path and the Elasticsearch objects it needs:
 *
 *   containers' stdout ─ Filebeat ─ Logstash (parse the contract's record, mask PII, route by
 *   category) ─ data stream `pyairtable-logs-<category>` ─ ILM policy of that category
 *
 * Index templates and ILM policies are created by a one-shot setup job before Logstash starts,
 * not merely referenced; Kibana's data views by a second job once Kibana is up. Jaeger's daily
 * trace indices get the 7-day trace policy from the same script, run hourly.
 */
import type { LogCategory, RetentionRule } from '@pyairtable/conventions';
import {
  LOG_CATEGORIES,
  LOG_FIELDS,
  LOG_RETENTION,
  SERVICE_NAMESPACE,
  TRACES_RETENTION,
} from '@pyairtable/conventions';
import { COMPONENTS } from '../components.js';
import { SCRAPE_LABELS } from '../model.js';
import type { StackModel } from '../model.js';
import { STACK_SECRETS, secretPath } from '../secrets.js';
import { tlsPath } from '../tls/layout.js';
import { CA_CERTIFICATE, certificateFile, keyFile } from '../tls/web-config.js';
import { renderPiiRubyScript } from './pii-ruby.js';
import { renderYaml } from './yaml.js';

export const LOG_INDEX_PREFIX = `${SERVICE_NAMESPACE}-logs-`;
export const logDataStream = (category: LogCategory): string => `${LOG_INDEX_PREFIX}${category}`;
/** Jaeger's index prefix: its daily indices are `<prefix>-jaeger-span-YYYY-MM-DD` and so on. */
export const JAEGER_INDEX_PREFIX = SERVICE_NAMESPACE;
export const TRACES_ILM_POLICY = `${SERVICE_NAMESPACE}-traces`;
export const ELASTIC_USER = 'elastic';

/**
 * Least privilege: each client of Elasticsearch has its own user and a role that allows only
 * what it does. The setup job creates the roles and users (passwords from secrets); `elastic`
 * is the setup job's alone. In Kubernetes Elastic's operator makes Logstash's from its file realm.
 */
export const ELASTIC_SERVICE_USERS = {
  logstash: {
    username: 'pyairtable-logstash',
    role: 'pyairtable_logs_writer',
    secret: STACK_SECRETS.logstashElasticPassword,
  },
  jaeger: {
    username: 'pyairtable-jaeger',
    role: 'pyairtable_traces_writer',
    secret: STACK_SECRETS.jaegerElasticPassword,
  },
  grafana: {
    username: 'pyairtable-grafana',
    role: 'pyairtable_logs_reader',
    secret: STACK_SECRETS.grafanaElasticPassword,
  },
} as const;

/** The roles, as Elasticsearch's role API and ECK's `roles.yml` take them. */
export function elasticsearchRoles(): Record<
  string,
  { cluster: string[]; indices: { names: string[]; privileges: string[] }[] }
> {
  const logs = `${LOG_INDEX_PREFIX}*`;
  return {
    [ELASTIC_SERVICE_USERS.logstash.role]: {
      cluster: ['monitor'],
      indices: [
        {
          names: [logs],
          privileges: ['create_doc', 'auto_configure', 'create_index', 'view_index_metadata'],
        },
      ],
    },
    // Jaeger creates its daily indices and their templates, writes, searches and reads them.
    [ELASTIC_SERVICE_USERS.jaeger.role]: {
      cluster: ['monitor', 'manage_index_templates'],
      indices: [
        {
          names: [`${JAEGER_INDEX_PREFIX}-jaeger-*`],
          privileges: ['create_index', 'create_doc', 'index', 'read', 'view_index_metadata', 'manage'],
        },
      ],
    },
    [ELASTIC_SERVICE_USERS.grafana.role]: {
      cluster: ['monitor'],
      indices: [{ names: [logs], privileges: ['read', 'view_index_metadata'] }],
    },
  };
}
/** The Elasticsearch resource's name in Kubernetes, and the prefix of the variables the operator gives Logstash. */
export const ECK_CLUSTER = 'pyairtable';
const ECK_CLUSTER_VARIABLE_PREFIX = ECK_CLUSTER.toUpperCase();
/** The variables Logstash's pod gets its own Elasticsearch user from, in Kubernetes. */
export const LOGSTASH_USER_VARIABLES = {
  user: 'PYAIRTABLE_LOGS_USER',
  password: 'PYAIRTABLE_LOGS_PASSWORD',
} as const;

/** Paths inside the containers where the rendered files are mounted. */
export const ELASTIC_PATHS = {
  setupDir: '/usr/share/pyairtable/setup',
  piiScript: '/usr/share/logstash/scripts/pii_mask.rb',
} as const;

const elasticsearchUrl = (model: StackModel): string => model.url('elasticsearch');
const kibanaUrl = (model: StackModel): string => model.url('kibana');

/** A dotted field path as a Logstash field reference: `trace.id` → `[trace][id]`. */
export const fieldReference = (path: string): string =>
  path
    .split('.')
    .map((part) => `[${part}]`)
    .join('');

// ── Elasticsearch objects ───────────────────────────────────────────────────────────────────

type Mapping = Record<string, unknown>;
const KEYWORD: Mapping = { type: 'keyword', ignore_above: 1024 };
const TEXT: Mapping = { type: 'match_only_text' };

/** Every contract field's type; `attributes` and `context` are flat scalar maps. */
const FIELD_MAPPINGS: Readonly<Record<keyof typeof LOG_FIELDS, Mapping>> = {
  timestamp: { type: 'date' },
  serviceName: KEYWORD,
  serviceTier: KEYWORD,
  serviceVersion: KEYWORD,
  serviceEnvironment: KEYWORD,
  level: KEYWORD,
  message: TEXT,
  category: KEYWORD,
  traceId: KEYWORD,
  spanId: KEYWORD,
  httpMethod: KEYWORD,
  httpRoute: KEYWORD,
  httpStatusCode: { type: 'short' },
  httpResponseTimeMs: { type: 'float' },
  costCenter: KEYWORD,
  costWeight: { type: 'float' },
  errorType: KEYWORD,
  errorMessage: TEXT,
  errorStack: { type: 'text', index: false },
  userId: KEYWORD,
  tenantId: KEYWORD,
  apiKeyHash: KEYWORD,
  eventAction: KEYWORD,
  eventOutcome: KEYWORD,
  eventReason: KEYWORD,
  attributes: { type: 'flattened' },
  context: { type: 'flattened' },
};

/** Fields the pipeline adds to every record besides the contract's. */
const CONTAINER_NAME_FIELD = 'container.name';

function mappingProperties(): Mapping {
  const root: Mapping = {};
  const place = (path: string, mapping: Mapping): void => {
    const parts = path.split('.');
    let properties = root;
    for (const part of parts.slice(0, -1)) {
      const object = (properties[part] ??= { properties: {} }) as { properties: Mapping };
      properties = object.properties;
    }
    properties[parts[parts.length - 1] ?? path] = mapping;
  };
  for (const [key, path] of Object.entries(LOG_FIELDS))
    place(path, FIELD_MAPPINGS[key as keyof typeof LOG_FIELDS]);
  place(CONTAINER_NAME_FIELD, KEYWORD);
  return root;
}

const days = (value: number): string => `${String(value)}d`;

/**
 * The ILM policy for a retention rule. With rollover, phase ages count from rollover, which
 * happens daily (or at 10 GB per primary shard), so data is deleted at most a day after its
 * retention.
 */
export function ilmPolicy(rule: RetentionRule, rollover: boolean): object {
  const phases: Record<string, unknown> = {};
  for (const [index, phase] of rule.tiers.entries()) {
    const actions: Record<string, unknown> = { set_priority: { priority: [100, 50, 0][index] ?? 0 } };
    if (phase.tier === 'hot' && rollover)
      actions['rollover'] = { max_age: '1d', max_primary_shard_size: '10gb' };
    if (phase.tier === 'warm') {
      actions['readonly'] = {};
      actions['forcemerge'] = { max_num_segments: 1 };
    }
    phases[phase.tier] = { min_age: days(phase.fromDay), actions };
  }
  phases['delete'] = { min_age: days(rule.deleteAfterDays), actions: { delete: {} } };
  return { policy: { _meta: { managed_by: '@pyairtable/stack', storage: rule.storage }, phases } };
}

export function logIndexTemplate(category: LogCategory, replicas = 0): object {
  return {
    index_patterns: [logDataStream(category)],
    data_stream: {},
    // Above Elasticsearch's built-in templates (100), so nothing else shapes these streams.
    priority: 200,
    template: {
      settings: {
        'index.lifecycle.name': logDataStream(category),
        // One node under Compose: replicas could never be allocated. Production on Kubernetes has three.
        'index.number_of_replicas': replicas,
      },
      mappings: {
        // Unknown fields stay in _source but are not indexed: no mapping explosion from a
        // service logging arbitrary keys.
        dynamic: false,
        properties: mappingProperties(),
      },
    },
    _meta: { managed_by: '@pyairtable/stack', retention_days: LOG_RETENTION[category].deleteAfterDays },
  };
}

export function kibanaDataView(category: LogCategory | 'all'): object {
  const title = category === 'all' ? `${LOG_INDEX_PREFIX}*` : logDataStream(category);
  return {
    data_view: {
      id: category === 'all' ? `${LOG_INDEX_PREFIX}all` : logDataStream(category),
      title,
      name: category === 'all' ? 'PyAirtable logs (all categories)' : `PyAirtable logs: ${category}`,
      timeFieldName: LOG_FIELDS.timestamp,
    },
    override: true,
  };
}

// ── The setup script ─────────────────────────────────────────────────────────────────────────

function setupScript(model: StackModel): string {
  const secretsDir = secretPath('').replace(/\/$/, '');
  return `#!/usr/bin/env bash
# Creates what the log and trace pipelines write into, before they write.
#   setup.sh elasticsearch         ILM policies, index templates, the kibana_system password (one-shot)
#   setup.sh kibana                Kibana data views (one-shot, once Kibana is up)
#   setup.sh trace-retention       every hour: the ${days(TRACES_RETENTION.deleteAfterDays)} trace policy on Jaeger's daily indices
#   setup.sh trace-retention-once  the same, once
# Generated by @pyairtable/stack; edit the model, not this file. Every request is idempotent.
set -euo pipefail

ES_URL=\${ES_URL:-${elasticsearchUrl(model)}}
KIBANA_URL=\${KIBANA_URL:-${kibanaUrl(model)}}
SECRETS_DIR=\${SECRETS_DIR:-${secretsDir}}
WAIT_SECONDS=\${SETUP_WAIT_SECONDS:-300}
RETENTION_INTERVAL=\${TRACE_RETENTION_INTERVAL_SECONDS:-3600}
HERE=$(cd "$(dirname "$0")" && pwd)
ELASTIC_AUTH="user = \\"${ELASTIC_USER}:$(cat "$SECRETS_DIR/${STACK_SECRETS.elasticPassword.secretName}")\\""

call() { # METHOD URL [BODY_FILE|-] ; "-" sends stdin as the body; fails, printing the response, on a non-2xx status
  local method=$1 url=$2 body=\${3:-} response status
  local args=(-sS -X "$method" -H 'Content-Type: application/json' -H 'kbn-xsrf: pyairtable-setup' -w '\\n%{http_code}')
  if [[ -n $body ]]; then args+=(--data-binary "@$body"); fi
  # The credentials go on descriptor 3, leaving stdin free for a request body.
  response=$(curl -K /dev/fd/3 "\${args[@]}" "$url" 3<<<"$ELASTIC_AUTH") || { echo "setup: $method $url: no connection" >&2; return 1; }
  status=\${response##*$'\\n'}
  if [[ $status != 2* ]]; then
    echo "setup: $method $url answered HTTP $status: \${response%$'\\n'*}" >&2
    return 1
  fi
}

wait_for() { # URL WHAT
  local deadline=$((SECONDS + WAIT_SECONDS))
  until call GET "$1" >/dev/null 2>&1; do
    if ((SECONDS > deadline)); then echo "setup: $2 did not answer within $WAIT_SECONDS s at $1" >&2; exit 1; fi
    sleep 1
  done
}

setup_elasticsearch() {
  wait_for "$ES_URL/_cluster/health?wait_for_status=yellow&timeout=5s" Elasticsearch
  for file in "$HERE"/ilm/*.json; do
    call PUT "$ES_URL/_ilm/policy/$(basename "$file" .json)" "$file" >/dev/null
    echo "setup: ILM policy $(basename "$file" .json)"
  done
  for file in "$HERE"/index-templates/*.json; do
    call PUT "$ES_URL/_index_template/$(basename "$file" .json)" "$file" >/dev/null
    echo "setup: index template $(basename "$file" .json)"
  done
  for file in "$HERE"/roles/*.json; do
    call PUT "$ES_URL/_security/role/$(basename "$file" .json)" "$file" >/dev/null
    echo "setup: role $(basename "$file" .json)"
  done
  local user role secret
  for entry in ${Object.values(ELASTIC_SERVICE_USERS)
    .map((user) => `${user.username}:${user.role}:${user.secret.secretName}`)
    .join(' ')}; do
    IFS=: read -r user role secret <<<"$entry"
    # In Kubernetes the operator makes these from its own Secrets: no file here, nothing to do.
    [[ -f "$SECRETS_DIR/$secret" ]] || continue
    printf '{"password":"%s","roles":["%s"]}' "$(cat "$SECRETS_DIR/$secret")" "$role" |
      call POST "$ES_URL/_security/user/$user" - >/dev/null
    echo "setup: user $user ($role)"
  done
  # Where an operator connects Kibana itself (Elastic's, in Kubernetes) there is no such secret.
  if [[ -f "$SECRETS_DIR/${STACK_SECRETS.kibanaSystemPassword.secretName}" ]]; then
    local password
    password=$(cat "$SECRETS_DIR/${STACK_SECRETS.kibanaSystemPassword.secretName}")
    printf '{"password":"%s"}' "$password" | call POST "$ES_URL/_security/user/kibana_system/_password" - >/dev/null
    echo "setup: kibana_system password set"
  fi
}

setup_kibana() {
  wait_for "$KIBANA_URL/api/status" Kibana
  for file in "$HERE"/data-views/*.json; do
    call POST "$KIBANA_URL/api/data_views/data_view" "$file" >/dev/null
    echo "setup: Kibana data view $(basename "$file" .json)"
  done
}

apply_trace_retention() {
  # Jaeger writes daily indices; ILM deletes each ${days(TRACES_RETENTION.deleteAfterDays)} after its creation once it carries the policy.
  call PUT "$ES_URL/${JAEGER_INDEX_PREFIX}-jaeger-*/_settings?allow_no_indices=true" "$HERE/trace-indices-settings.json" >/dev/null
  echo "setup: trace retention policy applied to Jaeger's indices"
}

trace_retention() {
  while true; do
    apply_trace_retention || echo "setup: will try again in $RETENTION_INTERVAL s" >&2
    sleep "$RETENTION_INTERVAL"
  done
}

case \${1:-} in
  elasticsearch) setup_elasticsearch ;;
  kibana) setup_kibana ;;
  trace-retention) trace_retention ;;
  trace-retention-once) apply_trace_retention ;;
  *) echo "usage: setup.sh elasticsearch|kibana|trace-retention|trace-retention-once" >&2; exit 2 ;;
esac
`;
}

// ── Filebeat and Logstash ───────────────────────────────────────────────────────────────────

const LOGSTASH_BEATS_PORT = COMPONENTS.logstash.port;
const FILEBEAT_HTTP_PORT = COMPONENTS.filebeat.port;
/** Docker's label on PyAirtable services (`service=<name>`), as add_docker_metadata names it. */
export const SERVICE_LABEL_FIELD = `container.labels.${SCRAPE_LABELS.service}`;

/** Filebeat's output under TLS: Logstash takes logs only from a client certificate of our CA. */
export function filebeatTls(model: StackModel): Record<string, unknown> {
  if (!model.tls) return {};
  return {
    'ssl.enabled': true,
    'ssl.certificate_authorities': [tlsPath('filebeat', CA_CERTIFICATE)],
    'ssl.certificate': tlsPath('filebeat', certificateFile('filebeat')),
    'ssl.key': tlsPath('filebeat', keyFile('filebeat')),
  };
}

function filebeatConfig(model: StackModel): object {
  return {
    'filebeat.inputs': [
      {
        type: 'filestream',
        id: 'docker-containers',
        paths: ['/var/lib/docker/containers/*/*.log'],
        parsers: [{ container: { stream: 'all', format: 'docker' } }],
      },
    ],
    processors: [
      { add_docker_metadata: { host: 'unix:///var/run/docker.sock' } },
      // Only PyAirtable services (the containers labelled with their service name).
      { drop_event: { when: { not: { has_fields: [SERVICE_LABEL_FIELD] } } } },
    ],
    'output.logstash': { hosts: [model.address('logstash', LOGSTASH_BEATS_PORT)], ...filebeatTls(model) },
    http: { enabled: true, host: '0.0.0.0', port: FILEBEAT_HTTP_PORT },
    'logging.to_stderr': true,
  };
}

/**
 * Where Logstash writes and as whom. In Kubernetes, Elastic's operator hands Logstash the
 * cluster's address, a user of its own and the CA as variables named after the cluster.
 */
function elasticsearchOutput(model: StackModel): string {
  if (model.target === 'kubernetes') {
    const variable = (suffix: string): string => `\${${ECK_CLUSTER_VARIABLE_PREFIX}_ES_${suffix}}`;
    return [
      `    hosts => ["${variable('HOSTS')}"]`,
      // Its own user, which may only write the log streams (the operator's may not write ours).
      `    user => "\${${LOGSTASH_USER_VARIABLES.user}}"`,
      `    password => "\${${LOGSTASH_USER_VARIABLES.password}}"`,
      `    ssl_enabled => true`,
      `    ssl_certificate_authorities => "${variable('SSL_CERTIFICATE_AUTHORITY')}"`,
    ].join('\n');
  }
  return [
    `    hosts => ["${elasticsearchUrl(model)}"]`,
    `    user => "${ELASTIC_SERVICE_USERS.logstash.username}"`,
    `    password => "\${${ELASTIC_SERVICE_USERS.logstash.secret.variable}}"`,
    ...(model.tls
      ? [
          `    ssl_enabled => true`,
          `    ssl_certificate_authorities => "${tlsPath('logstash', CA_CERTIFICATE)}"`,
        ]
      : []),
  ].join('\n');
}

/** The Beats input: under TLS, only Filebeat with a certificate of our CA may send. */
function beatsInput(model: StackModel): string {
  if (!model.tls) return `  beats { port => ${String(LOGSTASH_BEATS_PORT)} }`;
  return [
    '  beats {',
    `    port => ${String(LOGSTASH_BEATS_PORT)}`,
    '    ssl_enabled => true',
    `    ssl_certificate => "${tlsPath('logstash', certificateFile('logstash'))}"`,
    `    ssl_key => "${tlsPath('logstash', keyFile('logstash'))}"`,
    `    ssl_certificate_authorities => ["${tlsPath('logstash', CA_CERTIFICATE)}"]`,
    '    ssl_client_authentication => "required"',
    '  }',
  ].join('\n');
}

export function logstashPipeline(model: StackModel): string {
  const field = (key: keyof typeof LOG_FIELDS): string => fieldReference(LOG_FIELDS[key]);
  const categories = LOG_CATEGORIES.map((category) => `"${category}"`).join(', ');
  return `# Logstash pipeline: the contract's JSON log records from Filebeat, masked, routed by category.
# Generated by @pyairtable/stack from the deployment model and the contract; edit those, not this file.
input {
${beatsInput(model)}
}

filter {
  # Every line of a PyAirtable service is one JSON record in the contract's schema.
  # Tagged until the json filter succeeds: with skip_on_invalid_json it adds no failure tag.
  mutate { add_tag => ["not_contract_json"] }
  if [message] =~ /^\\s*\\{/ {
    json { source => "message" skip_on_invalid_json => true remove_tag => ["not_contract_json"] }
  }

  # Anything else (a crash trace, a library printing to stdout) is kept as an application record.
  if "not_contract_json" in [tags] {
    mutate {
      replace => {
        "${field('category')}" => "application"
        "${field('level')}" => "INFO"
        "${field('serviceName')}" => "%{${fieldReference(SERVICE_LABEL_FIELD)}}"
      }
    }
    if [stream] == "stderr" { mutate { replace => { "${field('level')}" => "ERROR" } } }
  }

  # The category names the data stream: only the contract's categories may create one.
  if ${field('category')} not in [${categories}] {
    mutate { replace => { "${field('category')}" => "application" } }
  }

  ruby { path => "${ELASTIC_PATHS.piiScript}" }
  # A record the masker could not walk (a field name Logstash cannot address) is not indexed
  # unmasked: it is dropped, and counted in Logstash's filter metrics.
  if "_rubyexception" in [tags] { drop {} }

  mutate {
    add_field => { "[@metadata][data_stream]" => "${LOG_INDEX_PREFIX}%{${field('category')}}" }
    # Filebeat's own bookkeeping; the record and the container name are what is kept.
    remove_field => ["agent", "ecs", "input", "log", "host", "stream", "@version", "[container][id]", "[container][image]", "[container][labels]"]
  }
}

output {
  elasticsearch {
${elasticsearchOutput(model)}
    # Data streams created on first write from the setup job's templates.
    index => "%{[@metadata][data_stream]}"
    action => "create"
    data_stream => "false"
    manage_template => false
    ilm_enabled => "false"
  }
}
`;
}

export const LOGSTASH_SETTINGS = {
  'api.http.host': '0.0.0.0',
  // The contract's field names are not ECS; Logstash must not add ECS fields beside them.
  'pipeline.ecs_compatibility': 'disabled',
  'xpack.monitoring.enabled': false,
} as const;
export const LOGSTASH_PIPELINE_ID = 'pyairtable-logs';

export interface RenderedFile {
  /** Path relative to the output directory. */
  readonly path: string;
  readonly content: string;
  /** Executable scripts get 0755; everything else 0644. */
  readonly executable?: boolean;
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** Filebeat, Logstash, the Elasticsearch setup job and Kibana's data views. */
export function renderElasticFiles(model: StackModel): RenderedFile[] {
  const files: RenderedFile[] = [
    {
      path: 'filebeat/filebeat.yml',
      content: renderYaml(filebeatConfig(model), `Filebeat configuration, profile ${model.profile}`),
    },
    {
      path: 'logstash/config/logstash.yml',
      content: renderYaml(LOGSTASH_SETTINGS, `Logstash settings, profile ${model.profile}`),
    },
    {
      path: 'logstash/config/pipelines.yml',
      content: renderYaml(
        [{ 'pipeline.id': LOGSTASH_PIPELINE_ID, 'path.config': '/usr/share/logstash/pipeline/*.conf' }],
        'Logstash pipelines',
      ),
    },
    { path: 'logstash/pipeline/pyairtable-logs.conf', content: logstashPipeline(model) },
    { path: 'logstash/scripts/pii_mask.rb', content: renderPiiRubyScript() },
    { path: 'elastic-setup/setup.sh', content: setupScript(model), executable: true },
    {
      path: 'elastic-setup/trace-indices-settings.json',
      content: json({ 'index.lifecycle.name': TRACES_ILM_POLICY }),
    },
    ...Object.entries(elasticsearchRoles()).map(([role, body]) => ({
      path: `elastic-setup/roles/${role}.json`,
      content: json(body),
    })),
    {
      path: `elastic-setup/ilm/${TRACES_ILM_POLICY}.json`,
      content: json(ilmPolicy(TRACES_RETENTION, false)),
    },
  ];
  for (const category of LOG_CATEGORIES) {
    files.push(
      {
        path: `elastic-setup/ilm/${logDataStream(category)}.json`,
        content: json(ilmPolicy(LOG_RETENTION[category], true)),
      },
      {
        path: `elastic-setup/index-templates/${logDataStream(category)}.json`,
        content: json(logIndexTemplate(category, model.elasticsearchReplicas)),
      },
      {
        path: `elastic-setup/data-views/${logDataStream(category)}.json`,
        content: json(kibanaDataView(category)),
      },
    );
  }
  files.push({
    path: `elastic-setup/data-views/${LOG_INDEX_PREFIX}all.json`,
    content: json(kibanaDataView('all')),
  });
  return files;
}
