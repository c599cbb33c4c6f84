/**
 * The stack's compute as rendered for Compose and Kubernetes: each component's reservation
 * (what a scheduler sets aside, and what a bill for reserved capacity counts) and its limit
 * (what it may burst to), from the same resources the renders write.
 */
import { COMPONENT_NAMES, DEFAULT_RESOURCES, RESOURCE_OVERRIDES } from '@pyairtable/stack';
import type { ComputeShare } from './estimate.js';

/** Setup jobs that keep running (the others exit once Elasticsearch and Kibana are set up). */
const RUNNING_JOBS = ['trace-retention'] as const;

export interface ComponentCompute {
  readonly name: string;
  readonly requested: ComputeShare;
  readonly limit: ComputeShare;
}

const GB_PER_UNIT: Readonly<Record<string, number>> = { K: 1 / 1024 ** 2, M: 1 / 1024, G: 1 };

/** Compose's memory sizes (`512M`, `2G`) in GB of 2^30 bytes. */
export function memoryGb(size: string): number {
  const match = /^(\d+(?:\.\d+)?)([KMG])$/.exec(size);
  const unit = match === null ? undefined : GB_PER_UNIT[match[2] ?? ''];
  if (match === null || unit === undefined) throw new Error(`unknown memory size ${size}`);
  return Number(match[1]) * unit;
}

export function stackCompute(): readonly ComponentCompute[] {
  return [...COMPONENT_NAMES, ...RUNNING_JOBS].map((name) => {
    const resources = RESOURCE_OVERRIDES[name] ?? DEFAULT_RESOURCES;
    return {
      name,
      requested: {
        cpus: Number(resources.reservations.cpus),
        memoryGb: memoryGb(resources.reservations.memory),
      },
      limit: { cpus: Number(resources.limits.cpus), memoryGb: memoryGb(resources.limits.memory) },
    };
  });
}

export function totalCompute(
  components: readonly ComponentCompute[],
  which: 'requested' | 'limit',
): ComputeShare {
  return components.reduce(
    (sum, component) => ({
      cpus: sum.cpus + component[which].cpus,
      memoryGb: sum.memoryGb + component[which].memoryGb,
    }),
    { cpus: 0, memoryGb: 0 },
  );
}
