/**
 * The cost folder: AI spend and tokens against the daily budget, cost units by tier, idle
 * services and resources paid for but not used.
 */
import { METRICS, METRIC_LABELS as L } from '@pyairtable/conventions';
import type { Dashboard } from '../model.js';
import { RANGE, increase, rate, series, serviceMatch, sumBy } from '../promql.js';
import type { DashboardThresholds } from './common.js';
import {
  SERVICE,
  environmentVariable,
  instant,
  legend,
  query,
  requestRate,
  serviceVariable,
} from './common.js';
import { containerCpuRatio } from './infrastructure.js';

const SECONDS_A_DAY = 86_400;

export function aiCost(t: DashboardThresholds): Dashboard {
  const cost = METRICS.aiCost.name;
  const provider = L.genAiProviderName.name;
  const model = L.genAiRequestModel.name;
  const tokens = series(METRICS.genAiTokenUsage, 'sum');
  return {
    uid: 'pyairtable-ai-cost',
    title: 'AI cost',
    folder: 'cost',
    description:
      'What the AI APIs cost: spend by service, model and provider, tokens, and the pace against the daily budget.',
    tags: ['pyairtable', 'cost', 'ai'],
    variables: [environmentVariable, serviceVariable],
    rows: [
      {
        title: 'Budget',
        panels: [
          {
            title: 'Daily pace',
            description:
              "The last hour's spend at a daily pace, by service. HighAICosts fires above the budget line.",
            kind: 'timeseries',
            unit: 'currencyUSD',
            queries: [query(`${sumBy([SERVICE], increase(cost, '1h', serviceMatch))} * 24`, legend(SERVICE))],
            thresholds: [{ value: t.aiDailyBudgetUsd, color: 'red', alert: 'HighAICosts' }],
          },
          {
            title: 'Spend over the range',
            description: 'USD spent on AI APIs over the selected range.',
            kind: 'stat',
            unit: 'currencyUSD',
            queries: [instant(sumBy([], increase(cost, RANGE, serviceMatch)), 'spent')],
          },
          {
            title: 'Trend to the end of the day',
            description: "A full day's spend at the last hour's pace, against the daily budget.",
            kind: 'gauge',
            unit: 'currencyUSD',
            min: 0,
            max: t.aiDailyBudgetUsd * 2,
            queries: [instant(`${sumBy([], rate(cost, serviceMatch))} * ${String(SECONDS_A_DAY)}`, 'day')],
            thresholds: [
              { value: t.aiDailyBudgetUsd * 0.8, color: 'orange' },
              { value: t.aiDailyBudgetUsd, color: 'red' },
            ],
          },
          {
            title: 'The month at the current pace',
            description:
              'Days in this month times the daily pace: a run rate. obs cost forecasts from the spend so far instead.',
            kind: 'stat',
            unit: 'currencyUSD',
            queries: [
              instant(
                `${sumBy([], rate(cost, serviceMatch))} * ${String(SECONDS_A_DAY)} * scalar(days_in_month())`,
                'month',
              ),
            ],
          },
        ],
      },
      {
        title: 'Spend',
        panels: [
          {
            title: 'Spend by model',
            description: 'USD an hour, by provider and model.',
            kind: 'timeseries',
            unit: 'currencyUSD',
            stacked: true,
            queries: [
              query(`${sumBy([provider, model], rate(cost, serviceMatch))} * 3600`, legend(provider, model)),
            ],
          },
          {
            title: 'Spend by service',
            description: 'USD an hour, by service.',
            kind: 'timeseries',
            unit: 'currencyUSD',
            stacked: true,
            queries: [query(`${sumBy([SERVICE], rate(cost, serviceMatch))} * 3600`, legend(SERVICE))],
          },
          {
            title: 'Tokens by type',
            description: 'Tokens a second, input and output, by model.',
            kind: 'timeseries',
            unit: 'short',
            queries: [
              query(
                sumBy([model, L.genAiTokenType.name], rate(tokens, serviceMatch)),
                legend(model, L.genAiTokenType.name),
              ),
            ],
          },
        ],
      },
    ],
  };
}

export function efficiency(t: DashboardThresholds): Dashboard {
  const requests = series(METRICS.httpServerRequestDuration, 'count');
  return {
    uid: 'pyairtable-efficiency',
    title: 'Cost units and efficiency',
    folder: 'cost',
    description: 'Cost units by tier, services nobody calls, and CPU paid for while serving little.',
    tags: ['pyairtable', 'cost', 'efficiency'],
    variables: [environmentVariable, serviceVariable],
    rows: [
      {
        title: 'Cost units',
        panels: [
          {
            title: 'Cost units by tier',
            description: 'Cost units accrued an hour, by cost center (the service tier by default).',
            kind: 'timeseries',
            unit: 'short',
            stacked: true,
            queries: [
              query(
                `${sumBy([L.costCenter.name], rate(METRICS.costUnits.name, serviceMatch))} * 3600`,
                legend(L.costCenter.name),
              ),
            ],
          },
        ],
      },
      {
        title: 'Idle and inefficient',
        panels: [
          {
            title: 'Requests in the idle window',
            description: `Requests each service served over the last ${String(t.unusedMinutes)} minutes. UnusedService fires for a running service at 0.`,
            kind: 'bargauge',
            unit: 'short',
            queries: [
              instant(
                sumBy([SERVICE], increase(requests, `${String(t.unusedMinutes)}m`, serviceMatch)),
                legend(SERVICE),
              ),
            ],
            thresholds: [{ value: 1, color: 'orange', below: true, alert: 'UnusedService' }],
          },
          {
            title: 'CPU against limit',
            description: `CPU used as a share of the container's limit. InefficientResources fires above the line while a service serves under ${String(t.inefficientMaxRequestsPerSecond)} requests a second.`,
            kind: 'timeseries',
            unit: 'percentunit',
            queries: [query(containerCpuRatio(), legend(SERVICE))],
            thresholds: [{ value: t.inefficientCpuRatio, color: 'orange', alert: 'InefficientResources' }],
          },
          {
            title: 'Request rate',
            description: `Requests a second; InefficientResources needs fewer than ${String(t.inefficientMaxRequestsPerSecond)}.`,
            kind: 'timeseries',
            unit: 'reqps',
            queries: [query(requestRate([SERVICE]), legend(SERVICE))],
            thresholds: [{ value: t.inefficientMaxRequestsPerSecond, color: 'orange', below: true }],
          },
        ],
      },
    ],
  };
}
