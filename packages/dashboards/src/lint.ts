/**
 * A dashboard linter in the spirit of Grafana's dashboard-linter, over the model: every query
 * parses as PromQL (Prometheus's own Lezer grammar), rates use `$__rate_interval`, `rate` and
 * `increase` read counters only and `histogram_quantile` buckets only, selectors carry the
 * dashboard's variables, every panel has a title, a description and a unit, and every metric
 * named is one the contract or a deployed exporter publishes (the catalog).
 */
import type { SyntaxNode } from '@lezer/common';
import { parser } from '@prometheus-io/lezer-promql';
import type { Dashboard, Panel } from './model.js';
import { panelAddresses } from './model.js';
import { RANGE, RATE_INTERVAL, VARIABLES, instanceMatch, serviceMatch } from './promql.js';

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

/** What is known of a metric: its type and who publishes it (`contract` or an exporter). */
export interface MetricFacts {
  readonly type: MetricType;
  readonly source: string;
}
export type MetricCatalog = ReadonlyMap<string, MetricFacts>;

export interface LintProblem {
  readonly dashboard: string;
  readonly panel: string;
  readonly rule: string;
  readonly message: string;
}

/** Grafana's macros replaced by durations PromQL accepts; the rate interval's is recognisable. */
const MACRO_DURATIONS: Readonly<Record<string, string>> = {
  [RATE_INTERVAL]: '4m59s',
  [RANGE]: '1h',
  $__interval: '1m',
};

export function substituteMacros(
  expr: string,
  durations: Readonly<Record<string, string>> = MACRO_DURATIONS,
): string {
  let result = expr;
  for (const [macro, duration] of Object.entries(durations)) result = result.split(macro).join(duration);
  return result;
}

const HISTOGRAM_PARTS = ['_bucket', '_count', '_sum'] as const;

/** The facts of a series name, a histogram's or summary's `_bucket`/`_count`/`_sum` included. */
export function lookUp(catalog: MetricCatalog, name: string): (MetricFacts & { part?: string }) | undefined {
  const direct = catalog.get(name);
  if (direct !== undefined) return direct;
  for (const part of HISTOGRAM_PARTS)
    if (name.endsWith(part)) {
      const base = catalog.get(name.slice(0, -part.length));
      if (base !== undefined && (base.type === 'histogram' || base.type === 'summary'))
        return { ...base, part };
    }
  return undefined;
}

interface Selector {
  readonly metric: string;
  readonly matchers: readonly string[];
  /** The function whose range argument this selector is (`rate`, `increase`, ...). */
  readonly rangeFunction: string | undefined;
  readonly range: string | undefined;
  readonly insideQuantile: boolean;
}

const text = (source: string, node: SyntaxNode): string => source.slice(node.from, node.to);

function enclosingFunctions(source: string, node: SyntaxNode): string[] {
  const names: string[] = [];
  for (let parent = node.parent; parent !== null; parent = parent.parent)
    if (parent.name === 'FunctionCall') {
      const identifier = parent.getChild('FunctionIdentifier');
      if (identifier !== null) names.push(text(source, identifier));
    }
  return names;
}

function selectorOf(source: string, node: SyntaxNode): Selector | undefined {
  const identifier = node.getChild('Identifier');
  if (identifier === null) return undefined;
  const matchers = node.getChild('LabelMatchers');
  const matrix = node.parent?.name === 'MatrixSelector' ? node.parent : undefined;
  const functions = enclosingFunctions(source, node);
  return {
    metric: text(source, identifier),
    matchers:
      matchers === null
        ? []
        : matchers
            .getChildren('UnquotedLabelMatcher')
            .map((matcher) => text(source, matcher).replace(/\s+/g, '')),
    rangeFunction: matrix === undefined ? undefined : functions[0],
    range: matrix === undefined ? undefined : text(source, matrix.lastChild ?? matrix),
    insideQuantile: functions.includes('histogram_quantile'),
  };
}

/** The PromQL's syntax errors, or its selectors. */
export function parsePromql(expr: string): { errors: string[]; selectors: Selector[] } {
  const source = substituteMacros(expr);
  const errors: string[] = [];
  const selectors: Selector[] = [];
  parser.parse(source).iterate({
    enter: (ref) => {
      if (ref.type.isError)
        errors.push(`syntax error at ${String(ref.from)}: "${source.slice(ref.from, ref.from + 20)}"`);
      if (ref.name === 'VectorSelector') {
        const selector = selectorOf(source, ref.node);
        if (selector !== undefined) selectors.push(selector);
      }
    },
  });
  return { errors, selectors };
}

const RATE_FUNCTIONS = new Set(['rate', 'irate', 'increase']);

function lintSelector(
  selector: Selector,
  dashboard: Dashboard,
  catalog: MetricCatalog,
  problem: (rule: string, message: string) => void,
): void {
  const facts = lookUp(catalog, selector.metric);
  if (facts === undefined) {
    problem('known-metric', `${selector.metric} is not a metric of the contract or of a deployed exporter`);
    return;
  }
  const counterLike = facts.type === 'counter' || (facts.part !== undefined && facts.type !== 'gauge');
  if (selector.rangeFunction !== undefined && RATE_FUNCTIONS.has(selector.rangeFunction) && !counterLike)
    problem(
      'rate-counters',
      `${selector.rangeFunction}() over ${selector.metric}, a ${facts.type}: only counters have a rate`,
    );
  if (
    selector.rangeFunction !== undefined &&
    selector.rangeFunction !== 'increase' &&
    selector.range !== MACRO_DURATIONS[RATE_INTERVAL]
  )
    problem(
      'rate-interval',
      `${selector.rangeFunction}(${selector.metric}[...]) should use ${RATE_INTERVAL}`,
    );
  if (selector.insideQuantile && facts.part !== '_bucket')
    problem(
      'quantile-buckets',
      `histogram_quantile over ${selector.metric}: it reads a histogram's _bucket series only`,
    );
  for (const variable of dashboard.variables) {
    if (variable.kind !== 'label') continue;
    const wanted =
      variable.name === VARIABLES.service
        ? serviceMatch
        : variable.name === VARIABLES.instance
          ? instanceMatch
          : undefined;
    const scope = variable.name === VARIABLES.service ? 'contract' : lookUp(catalog, variable.metric)?.source;
    if (
      wanted !== undefined &&
      facts.source === scope &&
      !selector.matchers.includes(wanted.replace(/\s+/g, ''))
    )
      problem('variable-matchers', `${selector.metric} lacks the $${variable.name} matcher ${wanted}`);
  }
}

function lintPanel(panel: Panel, dashboard: Dashboard, catalog: MetricCatalog): LintProblem[] {
  const problems: LintProblem[] = [];
  const problem = (rule: string, message: string): void => {
    problems.push({ dashboard: dashboard.uid, panel: panel.title, rule, message });
  };
  if (panel.title.trim() === '') problem('title', 'the panel has no title');
  if (panel.description.trim() === '') problem('description', 'the panel has no description');
  if (panel.unit.trim() === '') problem('unit', 'the panel has no unit');
  if (panel.queries.length === 0) problem('queries', 'the panel has no query');
  for (const query of panel.queries) {
    const { errors, selectors } = parsePromql(query.expr);
    for (const error of errors) problem('promql-parses', `${error} in ${query.expr}`);
    for (const selector of selectors) lintSelector(selector, dashboard, catalog, problem);
  }
  return problems;
}

export function lintDashboards(dashboards: readonly Dashboard[], catalog: MetricCatalog): LintProblem[] {
  const problems: LintProblem[] = [];
  const uids = new Set<string>();
  for (const dashboard of dashboards) {
    const problem = (rule: string, message: string): void => {
      problems.push({ dashboard: dashboard.uid, panel: '', rule, message });
    };
    if (uids.has(dashboard.uid)) problem('unique-uid', `uid ${dashboard.uid} is used twice`);
    uids.add(dashboard.uid);
    if (dashboard.description.trim() === '') problem('description', 'the dashboard has no description');
    for (const { panel } of panelAddresses(dashboard)) problems.push(...lintPanel(panel, dashboard, catalog));
  }
  return problems;
}
