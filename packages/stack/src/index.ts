/**
 * @pyairtable/stack: the deployment model and the renderers from it to the files each engine
 * loads. Renderers are pure: the same model gives byte-identical output.
 */
export { COMPONENTS, COMPONENT_NAMES, COLLECTOR_PROMETHEUS_EXPORTER_PORT } from './components.js';
export type { Component, ComponentName } from './components.js';
export { buildModel, ModelError, PROFILES, SCRAPE_LABELS, TARGETS } from './model.js';
export type { LocalHub, ModelOptions, ProfileSettings, StackModel, StaticService, Target } from './model.js';
export { resolveChannels, CHANNEL_VARIABLES, ALERTMANAGER_SECRET_FILES, RECEIVERS } from './alerting.js';
export type { Channels, ChannelResolution, ReceiverName } from './alerting.js';
export {
  prometheusConfig,
  renderPrometheusConfig,
  prometheusRetentionFlags,
  DEFAULT_APPLICATION_NETWORK,
} from './render/prometheus.js';
export type { PrometheusRenderOptions } from './render/prometheus.js';
export { alertmanagerConfig, renderAlertmanagerConfig, ROUTING_LABELS } from './render/alertmanager.js';
export type { AlertmanagerRender, AlertmanagerOptions } from './render/alertmanager.js';
export {
  collectorConfig,
  renderCollectorConfig,
  tailSamplingSection,
  redactionSection,
  COLLECTOR_VERSION,
  COLLECTOR_HEALTH_PORT,
  JAEGER_TRACE_EXPORTER,
} from './render/collector.js';
export { IMAGES, ELASTIC_VERSION, JAEGER_VERSION } from './images.js';
export {
  STACK_SECRETS,
  MIN_PASSWORD_LENGTH,
  SecretsError,
  resolveStackSecrets,
  parseDotEnv,
  secretPath,
} from './secrets.js';
export type { StackSecret, StackSecretKey, SecretsResolution } from './secrets.js';
export {
  composeDocument,
  renderCompose,
  COMPOSE_FILE,
  COMPOSE_PROJECT,
  DEFAULT_RESOURCES,
  RESOURCE_OVERRIDES,
  PUBLISHED_PORTS,
  RENDERED_PATHS,
  SETUP_JOBS,
} from './render/compose.js';
export type { ComposeOptions, SetupJob } from './render/compose.js';
export { jaegerConfig, renderJaegerConfig, jaegerUsesElasticsearch } from './render/jaeger.js';
export {
  renderElasticFiles,
  ilmPolicy,
  logIndexTemplate,
  kibanaDataView,
  logDataStream,
  fieldReference,
  ELASTIC_SERVICE_USERS,
  elasticsearchRoles,
  LOG_INDEX_PREFIX,
  JAEGER_INDEX_PREFIX,
  TRACES_ILM_POLICY,
  ELASTIC_PATHS,
} from './render/elastic.js';
export type { RenderedFile } from './render/elastic.js';
export { renderPiiRubyScript, rubyAnchors } from './render/pii-ruby.js';
export { renderGrafanaFiles } from './render/grafana.js';
export { modelDashboards } from './dashboards.js';
export { renderComposeStack, DEFAULT_COMPOSE_OPTIONS } from './render/stack.js';
export type { ComposeRenderOptions, StackRender } from './render/stack.js';
export { writeRenderedFiles, RenderDirectoryError, RENDER_MANIFEST } from './write.js';
export type { WriteResult } from './write.js';
export { ALERT_CATEGORIES, SEVERITIES, RECORDED, alertRules, recordingRules } from './alerts.js';
export type { AlertCategory, Severity, AlertRule, RecordingRule } from './alerts.js';
export { renderRules, rulesDocument, renderedAlert, RULE_GROUPS } from './render/rules.js';
export { DEFAULT_RUNBOOK_BASE_URL, DEFAULT_GRAFANA_URL } from './model.js';
export { scaledDuration } from './duration.js';
export {
  renderKubernetesStack,
  renderManifests,
  KUBERNETES_PATHS,
  DEFAULT_EXPORTER_TARGETS,
} from './render/kubernetes/index.js';
export type { KubernetesRender, KubernetesRenderOptions, InstallStep } from './render/kubernetes/index.js';
export { stepCommand } from './render/kubernetes/install.js';
export {
  DEFAULT_NAMESPACE,
  DEFAULT_APPLICATION_NAMESPACE,
  HELM_CHARTS,
  KUBERNETES_SECRETS,
  SCRAPE_POD_LABEL,
  POD_IDENTITY_LABELS,
  LOGSTASH_USER,
} from './render/kubernetes/names.js';
export { KUBERNETES_SERVICES } from './model.js';
export { agentConfig } from './render/kubernetes/workloads.js';
export { UI_ACCESS_LABEL } from './render/kubernetes/security.js';
export {
  webConfig,
  redisExporterTlsFlags,
  clientTls,
  bcryptHash,
  TLS_DIRECTORY,
  CA_CERTIFICATE,
  CA_KEY,
  certificateFile,
  keyFile,
} from './tls/web-config.js';
export type { WebConfigOptions } from './tls/web-config.js';
export {
  requiredTlsFiles,
  componentNames,
  webConfigFile,
  UI_PASSWORDS,
  UI_USER,
  WEB_CONFIG_COMPONENTS,
  TLS_COMPONENT_FILES,
  TLS_LISTENERS,
  tlsVariable,
  tlsDirectoryOf,
  isPrivateTlsFile,
} from './tls/layout.js';
export { TLS_PORTS, speaksTls } from './components.js';
export { ACCESS_FILE, accessSheet } from './render/access.js';
export type { AccessEntry, AccessSheet } from './render/access.js';
export type { WebConfigComponent } from './tls/layout.js';
export {
  SSO_VARIABLES,
  SSO_PROVIDERS,
  SSO_CLIENT_SECRET,
  resolveSso,
  roleAttributePath,
  grafanaSsoEnvironment,
} from './sso.js';
export type { SsoProvider, SsoSettings, SsoResolution } from './sso.js';
