/** The dashboards of a deployment: drawn at its profile's alert thresholds. */
import type { Dashboard } from '@pyairtable/dashboards';
import { buildDashboards } from '@pyairtable/dashboards';
import { SPEC_THRESHOLDS } from '@pyairtable/conventions';
import type { StackModel } from './model.js';

export function modelDashboards(model: StackModel): Dashboard[] {
  return buildDashboards({ ...SPEC_THRESHOLDS, ...model.settings.alerts });
}
