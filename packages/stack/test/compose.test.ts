import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { ENVIRONMENTS } from '@pyairtable/conventions';
import { ENGINES, engineAvailable, runEngine } from '@pyairtable/test-support';
import {
  COMPONENT_NAMES,
  COMPOSE_FILE,
  DEFAULT_APPLICATION_NETWORK,
  DEFAULT_RESOURCES,
  IMAGES,
  PUBLISHED_PORTS,
  RESOURCE_OVERRIDES,
  SETUP_JOBS,
  STACK_SECRETS,
  renderComposeStack,
} from '@pyairtable/stack';
import type { ComposeService } from './render-fixture.js';
import { FULL_ENV, RENDERS, SECRET_VALUES } from './render-fixture.js';
import { readReference } from './reference.js';

const composeSchema = JSON.parse(readReference('compose-spec.json')) as object;
function composeValidator(): ReturnType<Ajv['compile']> {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats.default(ajv);
  // The schema names draft-07 by its https address; Ajv registers the same meta-schema under http.
  const draft07 = ajv.getSchema('http://json-schema.org/draft-07/schema')?.schema as object;
  ajv.addMetaSchema({ ...draft07, $id: 'https://json-schema.org/draft-07/schema' });
  return ajv.compile(composeSchema);
}
const validateCompose = composeValidator();

/** Variables the compose file may leave for Compose to expand at `up`. */
const COMPOSE_VARIABLES = new Set([
  ...Object.values(STACK_SECRETS).map((secret) => secret.variable),
  'REDIS_PASSWORD',
  'POSTGRES_EXPORTER_USER',
  'POSTGRES_EXPORTER_PASSWORD',
]);

describe.each(ENVIRONMENTS)('the %s Compose render', (profile) => {
  const { compose, dir, render, file } = RENDERS[profile];
  const services = Object.entries(compose.services);

  it('is valid under the Compose specification schema', () => {
    const valid = validateCompose(compose);
    expect(validateCompose.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('has every component of the spec and the setup jobs', () => {
    for (const component of COMPONENT_NAMES) expect(compose.services).toHaveProperty([component]);
    expect(compose.services).toHaveProperty(['elastic-setup']);
    expect(compose.services).toHaveProperty(['kibana-setup']);
    // Traces go to Elasticsearch (and need the retention loop) outside development.
    expect('trace-retention' in compose.services).toBe(profile !== 'development');
  });

  it('is deterministic: the same input renders byte-identical files', () => {
    const again = renderComposeStack({ profile, env: FULL_ENV });
    expect(again.files).toEqual(render.files);
  });

  it('mounts only files and directories that exist in the render', () => {
    let relativeMounts = 0;
    for (const [name, service] of services)
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0] ?? '';
        if (!source.startsWith('./')) {
          // A named volume (declared) or a host path (absolute).
          expect(source.startsWith('/') || source in compose.volumes, `${name}: ${volume}`).toBe(true);
          continue;
        }
        relativeMounts++;
        const path = join(dir, source);
        expect(existsSync(path), `${name} mounts ${source}, which the render does not contain`).toBe(true);
        if (statSync(path).isDirectory())
          expect(readdirSync(path).length, `${source} is empty`).toBeGreaterThan(0);
      }
    expect(relativeMounts).toBeGreaterThan(10);
  });

  it('pins every image to a version tag', () => {
    for (const [name, service] of services) {
      expect(service.image, name).toMatch(/^[a-z0-9./_-]+:v?\d+\.\d+\.\d+(-alpine)?$/);
      expect(service.image).not.toMatch(/:latest$/);
    }
    // Elasticsearch, Logstash, Filebeat and Kibana share one version.
    const elastic = ['elasticsearch', 'logstash', 'filebeat', 'kibana'].map(
      (name) => compose.services[name]?.image.split(':')[1],
    );
    expect(new Set(elastic).size).toBe(1);
    expect(compose.services['jaeger']?.image).toMatch(/:2\.\d+\.\d+$/);
  });

  it('contains no secret value in any file', () => {
    for (const { path, content } of render.files)
      for (const [variable, value] of Object.entries(SECRET_VALUES))
        expect(content.includes(value), `${path} contains the value of ${variable}`).toBe(false);
    for (const { content } of render.files) expect(content).not.toMatch(/admin123/);
  });

  it('leaves ${...} only where the engine reading the file expands it', () => {
    const unexpanded = /\$\{([A-Za-z_][A-Za-z0-9_]*)/g;
    // Prometheus and Alertmanager never expand variables.
    for (const path of ['prometheus/prometheus.yml', 'alertmanager/alertmanager.yml'])
      expect(file(path)).not.toMatch(/\$\{/);
    // Compose expands its own file: only the documented variables.
    for (const match of file(COMPOSE_FILE).matchAll(unexpanded))
      expect(COMPOSE_VARIABLES.has(match[1] ?? ''), `compose expands ${match[1] ?? ''}`).toBe(true);
    // Logstash expands its pipeline from its own environment: every variable must be there.
    const logstashEnvironment = compose.services['logstash']?.environment ?? {};
    const pipelineVariables = [...file('logstash/pipeline/pyairtable-logs.conf').matchAll(unexpanded)];
    expect(pipelineVariables.length).toBeGreaterThan(0);
    for (const match of pipelineVariables) expect(logstashEnvironment).toHaveProperty([match[1] ?? '']);
    // Grafana: `$$` is a literal dollar; `$__file{...}` must name a file a secret mounts.
    const datasources = file('grafana/provisioning/datasources/pyairtable.yaml').replace(/\$\$/g, '');
    const grafanaFiles = (compose.services['grafana']?.secrets ?? []).map((secret) =>
      secret.target?.startsWith('/') === true
        ? secret.target
        : `/run/secrets/${secret.target ?? secret.source}`,
    );
    for (const match of datasources.matchAll(/\$(__file\{([^}]+)\}|.)/g)) {
      expect(match[2], `unexpected $ in Grafana provisioning: ${match[0]}`).toBeDefined();
      expect(grafanaFiles).toContain(match[2]);
    }
  });

  it('gives each container the secrets it reads, from the environment, owned by the image’s user', () => {
    const declared = compose.secrets ?? {};
    const mounted = (service: ComposeService): string[] =>
      (service.secrets ?? []).map((secret) => secret.source);
    for (const [name, service] of services)
      for (const secret of service.secrets ?? []) {
        expect(declared, `${name} uses undeclared secret ${secret.source}`).toHaveProperty([secret.source]);
        expect(declared[secret.source]?.environment).toMatch(/^[A-Z_]+$/);
        expect(declared[secret.source]).not.toHaveProperty('file');
        // Only the owner reads it; Compose's defaults for owner and mode differ between releases.
        // Certificates, the CA and web configs are public: anyone in the container may read them.
        const isPublic = secret.source.startsWith('tls_') && !/_(key|password)$/.test(secret.source);
        expect(secret).toMatchObject({
          uid: expect.stringMatching(/^\d+$/) as unknown,
          mode: isPublic ? '0444' : '0400',
        });
      }
    for (const [name, service] of services)
      for (const value of Object.values(service.environment ?? {}))
        if (value.startsWith('/run/secrets/'))
          expect(mounted(service), name).toContain(value.slice('/run/secrets/'.length));
    // Elasticsearch refuses a password file Compose may create with mode 0444: it takes the variable.
    expect(compose.services['elasticsearch']?.environment?.[STACK_SECRETS.elasticPassword.variable]).toMatch(
      /^\$\{ELASTIC_PASSWORD:\?/,
    );
  });

  it("gives the elastic superuser's password to Elasticsearch and the setup jobs only", () => {
    const superuser = STACK_SECRETS.elasticPassword;
    const holders = services
      .filter(
        ([, service]) =>
          (service.secrets ?? []).some((secret) => secret.source === superuser.secretName) ||
          superuser.variable in (service.environment ?? {}),
      )
      .map(([name]) => name)
      .sort();
    const expected = ['elastic-setup', 'elasticsearch', 'kibana-setup', 'trace-retention'].filter((name) =>
      services.some(([candidate]) => candidate === name),
    );
    expect(holders).toEqual(expected);
  });

  it('publishes only the user interfaces, on 127.0.0.1', () => {
    const published = services
      .filter(([, service]) => (service.ports ?? []).length > 0)
      .map(([name]) => name);
    const expected = Object.keys(PUBLISHED_PORTS);
    expect(published.sort()).toEqual(
      (profile === 'development' ? [...expected, 'otel-collector'] : expected).sort(),
    );
    for (const [, service] of services)
      for (const port of service.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    expect(compose.services['grafana']?.ports).toEqual(['127.0.0.1:3001:3000']);
    expect(compose.services['elasticsearch']?.ports).toBeUndefined();
  });

  it('declares every network joined; the internal one has no route out, the application one is joined by name', () => {
    for (const [name, service] of services)
      for (const network of service.networks)
        expect(compose.networks, `${name} joins ${network}`).toHaveProperty([network]);
    expect(compose.networks['observability']).toMatchObject({ internal: true });
    expect(compose.networks['application']).toEqual({ name: DEFAULT_APPLICATION_NETWORK, external: true });
    // Only what talks to the services joins their network.
    const onApplication = services
      .filter(([, service]) => service.networks.includes('application'))
      .map(([n]) => n);
    expect(onApplication.sort()).toEqual([
      'otel-collector',
      'postgres-exporter',
      'prometheus',
      'redis-exporter',
    ]);
  });

  it('orders start-up by health and completion, on services that have health checks', () => {
    for (const [name, service] of services)
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(compose.services, `${name} depends on ${dependency}`).toHaveProperty([dependency]);
        if (condition === 'service_healthy') expect(compose.services[dependency]?.healthcheck).toBeDefined();
        if (condition === 'service_completed_successfully')
          expect((SETUP_JOBS as readonly string[]).includes(dependency)).toBe(true);
      }
    // Templates and policies exist before Logstash writes the first record.
    expect(compose.services['logstash']?.depends_on).toEqual({
      'elastic-setup': { condition: 'service_completed_successfully' },
    });
  });

  it('sets restart policies, and the spec’s resource limits unless an engine needs more', () => {
    for (const [name, service] of services) {
      expect(service.restart, name).toBe(
        name === 'elastic-setup' || name === 'kibana-setup' ? 'no' : 'unless-stopped',
      );
      const override = RESOURCE_OVERRIDES[name as keyof typeof RESOURCE_OVERRIDES];
      expect(service.deploy?.resources?.limits, name).toEqual((override ?? DEFAULT_RESOURCES).limits);
      expect(service.deploy?.resources?.reservations, name).toEqual(
        (override ?? DEFAULT_RESOURCES).reservations,
      );
    }
  });

  it('gives every long-running service whose image can run one a health check', () => {
    // The collector image is FROM scratch: no shell or HTTP client to probe with.
    const withoutProbe = new Set(['otel-collector', 'filebeat', ...SETUP_JOBS]);
    for (const [name, service] of services)
      if (!withoutProbe.has(name)) expect(service.healthcheck, name).toBeDefined();
  });
});

describe('images', () => {
  it('are the ones the components table pins', () => {
    for (const component of COMPONENT_NAMES)
      expect(RENDERS.production.compose.services[component]?.image).toBe(IMAGES[component]);
  });
});

describe('the Compose schema check (negative controls)', () => {
  const { compose } = RENDERS.production;
  it('rejects an unknown service key and a wrong type', () => {
    const broken = structuredClone(compose) as unknown as {
      services: Record<string, Record<string, unknown>>;
    };
    broken.services['prometheus'] = { ...broken.services['prometheus'], publish: ['9090'] };
    expect(validateCompose(broken)).toBe(false);
    const wrongType = structuredClone(compose) as unknown as {
      services: Record<string, Record<string, unknown>>;
    };
    wrongType.services['grafana'] = { ...wrongType.services['grafana'], restart: 3 };
    expect(validateCompose(wrongType)).toBe(false);
  });

  it('rejects a depends_on condition Compose does not know', () => {
    const broken = structuredClone(compose) as unknown as {
      services: Record<string, Record<string, unknown>>;
    };
    broken.services['logstash'] = {
      ...broken.services['logstash'],
      depends_on: { 'elastic-setup': { condition: 'service_finished' } },
    };
    expect(validateCompose(broken)).toBe(false);
  });
});

describe.runIf(engineAvailable(ENGINES.promtool) && engineAvailable(ENGINES.amtool))(
  'the engines accept the files of the full render',
  () => {
    it.each(ENVIRONMENTS)(
      '%s: promtool checks the Prometheus config and rules, amtool the Alertmanager config',
      (profile) => {
        const { dir } = RENDERS[profile];
        const config = runEngine(
          ENGINES.promtool,
          ['check', 'config', '--syntax-only', 'prometheus/prometheus.yml'],
          {
            cwd: dir,
          },
        );
        expect(config.stderr + config.stdout).toContain('SUCCESS');
        expect(config.status).toBe(0);
        const rules = runEngine(ENGINES.promtool, ['check', 'rules', 'prometheus/rules/pyairtable.yml'], {
          cwd: dir,
        });
        expect(rules.status, rules.stderr + rules.stdout).toBe(0);
        const alertmanager = runEngine(ENGINES.amtool, ['check-config', 'alertmanager/alertmanager.yml'], {
          cwd: dir,
        });
        expect(alertmanager.status, alertmanager.stderr + alertmanager.stdout).toBe(0);
        expect(alertmanager.stdout).toContain('SUCCESS');
      },
    );
  },
);
