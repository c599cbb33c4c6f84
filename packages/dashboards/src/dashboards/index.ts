/** Every dashboard, built for one set of thresholds (the profile's). */
import type { AlertName } from '@pyairtable/conventions';
import type { Dashboard, PanelAddress } from '../model.js';
import { panelAddresses } from '../model.js';
import type { DashboardThresholds } from './common.js';
import { aiCost, efficiency } from './cost.js';
import { containers, host, observabilityStack, postgresql, redis } from './infrastructure.js';
import { businessActivity, platformOverview, requestFlow, security, serviceDrillDown } from './platform.js';

export type { DashboardThresholds } from './common.js';

export function buildDashboards(thresholds: DashboardThresholds): Dashboard[] {
  return [
    platformOverview(thresholds),
    serviceDrillDown(thresholds),
    requestFlow(thresholds),
    businessActivity(thresholds),
    security(thresholds),
    host(),
    containers(thresholds),
    postgresql(),
    redis(),
    observabilityStack(),
    aiCost(thresholds),
    efficiency(thresholds),
  ];
}

/** The panels whose thresholds an alert decides at, in dashboard order. */
export function alertPanels(dashboards: readonly Dashboard[]): Map<AlertName, PanelAddress[]> {
  const panels = new Map<AlertName, PanelAddress[]>();
  for (const address of dashboards.flatMap(panelAddresses))
    for (const threshold of address.panel.thresholds ?? [])
      if (threshold.alert !== undefined)
        panels.set(threshold.alert, [...(panels.get(threshold.alert) ?? []), address]);
  return panels;
}

/**
 * The panel an alert rule links to: the first showing the rule's own labels (a DatabaseCritical
 * rule for Redis opens the Redis panel), else the first for the alert.
 */
export function panelForRule(
  panels: ReadonlyMap<AlertName, readonly PanelAddress[]>,
  alert: AlertName,
  labels: Readonly<Record<string, string>>,
): PanelAddress | undefined {
  const candidates = panels.get(alert) ?? [];
  const shows = (address: PanelAddress): Readonly<Record<string, string>> | undefined =>
    address.panel.thresholds?.find((threshold) => threshold.alert === alert)?.alertLabels;
  return (
    candidates.find((address) => {
      const wanted = shows(address);
      return wanted !== undefined && Object.entries(wanted).every(([key, value]) => labels[key] === value);
    }) ?? candidates.find((address) => shows(address) === undefined)
  );
}
