/**
 * @pyairtable/stack: the deployment model and the renderers from it to the files each engine
 * loads. Renderers are pure: the same model gives byte-identical output.
 */
export { COMPONENTS, COMPONENT_NAMES, COLLECTOR_PROMETHEUS_EXPORTER_PORT } from './components.js';
export type { Component, ComponentName } from './components.js';
export { buildModel, ModelError, PROFILES, SCRAPE_LABELS, TARGETS } from './model.js';
export type { ModelOptions, ProfileSettings, StackModel, StaticService, Target } from './model.js';
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
export type { AlertmanagerRender } from './render/alertmanager.js';
export {
  collectorConfig,
  renderCollectorConfig,
  tailSamplingSection,
  redactionSection,
  COLLECTOR_VERSION,
  COLLECTOR_HEALTH_PORT,
} from './render/collector.js';
