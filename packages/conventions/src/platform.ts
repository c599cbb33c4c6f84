/**
 * The shape of the PyAirtable platform as the telemetry sees it: deployment environments,
 * service tiers, cost centers and the services the spec names.
 */

/** Deployment environments, also the stack's render profiles. */
export const ENVIRONMENTS = ['development', 'staging', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/**
 * Service tiers. The spec's examples use gateway, platform, application and ai-ml; automation,
 * data, frontend and observability cover the rest of the PyAirtable services and our own stack.
 */
export const SERVICE_TIERS = [
  'gateway',
  'platform',
  'application',
  'ai-ml',
  'automation',
  'data',
  'frontend',
  'observability',
] as const;
export type ServiceTier = (typeof SERVICE_TIERS)[number];

/**
 * Cost centers for attribution (`cost.center` in logs, `cost_center` on cost metrics). One per
 * tier by default, as in the spec's log example (`"center": "gateway"`), so a service that sets
 * only its tier is still attributed; a service may name another center explicitly.
 */
export const COST_CENTERS = SERVICE_TIERS;
export type CostCenter = ServiceTier;

/**
 * Default relative cost weight of one request per tier (`cost.weight` in logs, the increment of
 * `pyairtable_cost_units_total`). Unit: one plain API request served by an application service.
 * Gateways do TLS, auth and routing for every request (2, as in the spec's example); AI/ML
 * requests hold a model call and large payloads (5); automation runs multi-step workflows (3).
 * Routes may override it.
 */
export const DEFAULT_COST_WEIGHT_BY_TIER: Readonly<Record<ServiceTier, number>> = {
  gateway: 2,
  platform: 1,
  application: 1,
  'ai-ml': 5,
  automation: 3,
  data: 2,
  frontend: 1,
  observability: 1,
};

export interface PlatformService {
  readonly name: string;
  readonly tier: ServiceTier;
  readonly description: string;
}

/**
 * The PyAirtable services this foundation knows by name. Services not listed here are still
 * observed; this list only feeds defaults (critical services, dashboards, the demo).
 */
export const PLATFORM_SERVICES = [
  { name: 'api-gateway', tier: 'gateway', description: 'Public entry point: routing, auth, rate limits.' },
  { name: 'platform-services', tier: 'platform', description: 'Users, sessions, authentication, analytics.' },
  { name: 'airtable-gateway', tier: 'application', description: 'Calls the Airtable REST API for bases.' },
  { name: 'llm-orchestrator', tier: 'ai-ml', description: 'Chat and AI features; calls model providers.' },
  { name: 'mcp-server', tier: 'ai-ml', description: 'Model Context Protocol tools over Airtable data.' },
  {
    name: 'automation-services',
    tier: 'automation',
    description: 'Workflows, schedules and file processing.',
  },
  { name: 'frontend', tier: 'frontend', description: 'Web application.' },
] as const satisfies readonly PlatformService[];

export type PlatformServiceName = (typeof PLATFORM_SERVICES)[number]['name'];

/**
 * Services whose traces production always keeps (the spec's "critical services" override):
 * every user request enters through the gateway, and authentication failures surface in
 * platform-services, so a sampled-out trace there is the one an incident needs.
 */
export const CRITICAL_SERVICES: readonly PlatformServiceName[] = ['api-gateway', 'platform-services'];
