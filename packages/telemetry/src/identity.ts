/**
 * Who this process is, decided once per `initTelemetry`: the resource on every exported span
 * and log record is built from it (`serviceResource` in `tracing.ts`), and the metrics'
 * identity labels and the log records' `service` fields are read from it, so no signal can
 * describe the process differently (two `service.instance.id`s, say) from another.
 */
import type { CostCenter, Environment, ServiceTier } from '@pyairtable/conventions';
import { randomUUID } from 'node:crypto';
import type { ResolvedConfig } from './config.js';

export interface ServiceIdentity {
  /** `service.name`; the `service` label; `service.name` in log records. */
  readonly name: string;
  /** `service.version`; the `version` label; `service.version` in log records. */
  readonly version: string;
  /** `pyairtable.service.tier`; the `tier` label; `service.tier` in log records. */
  readonly tier: ServiceTier;
  /** `deployment.environment.name`; `service.environment` in log records. */
  readonly environment: Environment;
  /** `pyairtable.cost.center`. */
  readonly costCenter: CostCenter;
  /** `service.instance.id`: a random UUID per `initTelemetry`, the same on every signal. */
  readonly instanceId: string;
}

export function serviceIdentity(config: ResolvedConfig, instanceId: string = randomUUID()): ServiceIdentity {
  return Object.freeze({
    name: config.serviceName,
    version: config.serviceVersion,
    tier: config.serviceTier,
    environment: config.environment,
    costCenter: config.costCenter,
    instanceId,
  });
}
