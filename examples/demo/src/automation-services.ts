/**
 * automation-services (plain node:http): runs named workflows with the SDK's workflow helper,
 * which traces each run and counts it by final status. Each step is a child span; database
 * steps are timed with the SDK's database helper.
 *
 * The database work is simulated (a delay timed as a `postgresql` operation): the demo has no
 * PostgreSQL driver, and adding one for a demo is not worth a dependency. DATABASE_URL is
 * accepted and checked, and the service says at start that it simulates.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { BUSINESS_HEADERS } from '@pyairtable/conventions';
import type { Telemetry } from '@pyairtable/telemetry';
import { instrumentRequestListener } from '@pyairtable/telemetry';
import type { DemoWorkflowName } from './catalog.js';
import { DEMO_BASES, DEMO_WORKFLOW_NAMES } from './catalog.js';
import type { DemoEnv } from './config.js';
import { readBaseUrl, readOptionalUrl } from './config.js';
import type { FaultSwitch } from './faults.js';
import { FAULTS_PATH, InjectedFault } from './faults.js';
import {
  BodyError,
  closeServer,
  IGNORED_PATHS,
  jitter,
  listen,
  pathOf,
  readJsonBody,
  sendJson,
} from './http.js';
import type { PreparedService } from './service-context.js';
import { DEMO_HOST, demoService } from './services.js';
import type { Upstream } from './upstream.js';
import { callUpstream, headerValue } from './upstream.js';

const RUN_PATH = /^\/workflows\/([^/]+)\/run$/;
const BASE_ID = /^app[A-Za-z0-9]{14}$/;
const TABLE_NAME = /^[\w .-]{1,64}$/;
/** The database system simulated operations are recorded as. */
const SIMULATED_DB = 'postgresql';

/** The route template of a request, for span names and metric labels; undefined when none matches. */
function routeOf(request: IncomingMessage): string | undefined {
  const path = pathOf(request);
  if (path === '/workflows') return path;
  if (RUN_PATH.test(path)) return '/workflows/:name/run';
  return undefined;
}

interface WorkflowRun {
  readonly baseId: string;
  readonly table: string;
  readonly userId: string | undefined;
  readonly tenantId: string | undefined;
}

interface Step {
  readonly name: string;
  /** What the step did, for the run's answer. */
  run(run: WorkflowRun): Promise<Record<string, unknown>>;
}

interface StepResult {
  readonly step: string;
  readonly [detail: string]: unknown;
}

function isWorkflowName(name: string): name is DemoWorkflowName {
  return (DEMO_WORKFLOW_NAMES as readonly string[]).includes(name);
}

function parseRun(body: unknown, request: IncomingMessage): WorkflowRun | string {
  if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body)))
    return 'the body must be a JSON object (or empty)';
  const { baseId, table } = (body ?? {}) as { baseId?: unknown; table?: unknown };
  const fallback = DEMO_BASES[0];
  if (baseId !== undefined && (typeof baseId !== 'string' || !BASE_ID.test(baseId)))
    return 'baseId must be "app" followed by 14 letters or digits';
  if (table !== undefined && (typeof table !== 'string' || !TABLE_NAME.test(table)))
    return 'table must be 1 to 64 letters, digits, spaces, dots, dashes or underscores';
  return {
    baseId: baseId ?? fallback?.id ?? '',
    table: table ?? fallback?.tables[0] ?? '',
    userId: headerValue(request.headers[BUSINESS_HEADERS.userId]),
    tenantId: headerValue(request.headers[BUSINESS_HEADERS.tenantId]),
  };
}

function defineWorkflows(
  telemetry: Telemetry,
  airtableGateway: Upstream,
): Readonly<Record<DemoWorkflowName, readonly Step[]>> {
  const database = (operation: string, minMs: number, maxMs: number): Promise<void> =>
    telemetry.timeDbOperation(SIMULATED_DB, operation, () => sleep(jitter(minMs, maxMs)));
  const work = (minMs: number, maxMs: number): Promise<void> => sleep(jitter(minMs, maxMs));

  return {
    'sync-base': [
      {
        name: 'fetch records',
        async run({ baseId, table, userId, tenantId }) {
          const answer = await callUpstream(
            telemetry,
            airtableGateway,
            `/bases/${encodeURIComponent(baseId)}/tables/${encodeURIComponent(table)}/records?maxRecords=50`,
            { method: 'GET', context: { userId, tenantId } },
          );
          const records = (answer.body as { records?: unknown } | null)?.records;
          if (answer.status !== 200 || !Array.isArray(records))
            throw new Error(`airtable-gateway answered ${answer.status}`);
          return { records: records.length };
        },
      },
      {
        name: 'upsert records',
        async run() {
          await database('INSERT', 10, 40);
          return {};
        },
      },
    ],
    'generate-report': [
      {
        name: 'aggregate orders',
        async run() {
          await database('SELECT', 30, 120);
          return {};
        },
      },
      {
        name: 'render report',
        async run() {
          await work(10, 40);
          return { pages: 3 };
        },
      },
      {
        name: 'store report',
        async run() {
          await database('INSERT', 5, 20);
          return {};
        },
      },
    ],
    'send-digest': [
      {
        name: 'select subscribers',
        async run() {
          await database('SELECT', 5, 30);
          return { subscribers: 12 };
        },
      },
      {
        name: 'send emails',
        async run() {
          await work(20, 80);
          return {};
        },
      },
      {
        name: 'mark digest sent',
        async run() {
          await database('UPDATE', 5, 20);
          return {};
        },
      },
    ],
  };
}

/** Runs a workflow's steps in order, each in its own span; the last one fails when the fault says so. */
async function runSteps(
  telemetry: Telemetry,
  faults: FaultSwitch,
  name: DemoWorkflowName,
  steps: readonly Step[],
  run: WorkflowRun,
): Promise<StepResult[]> {
  return telemetry.runWorkflow(name, async () => {
    const fails = faults.workflowShouldFail();
    const results: StepResult[] = [];
    for (const [index, step] of steps.entries()) {
      const detail = await telemetry.traceAsync(`step ${step.name}`, async () => {
        if (fails && index === steps.length - 1)
          throw new InjectedFault(
            `step "${step.name}" failed: injected workflowFailureRate ${faults.current.workflowFailureRate}`,
          );
        return step.run(run);
      });
      results.push({ step: step.name, ...detail });
    }
    return results;
  });
}

export function prepareAutomationServices(env: DemoEnv): PreparedService {
  const airtableGateway: Upstream = {
    name: 'airtable-gateway',
    baseUrl: readBaseUrl(
      env,
      'DEMO_UPSTREAM_AIRTABLE_GATEWAY',
      `http://${DEMO_HOST}:${demoService('airtable-gateway').port}`,
    ),
  };
  const databaseUrl = readOptionalUrl(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);

  return async ({ telemetry, faults, host, port }) => {
    telemetry.logger.info(
      databaseUrl === undefined
        ? 'database operations are simulated (timed as postgresql)'
        : 'DATABASE_URL is set, but the demo has no PostgreSQL driver: database operations are simulated (timed as postgresql)',
    );
    const workflows = defineWorkflows(telemetry, airtableGateway);

    const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
      const path = pathOf(request);
      const method = request.method ?? 'GET';
      if (path === '/health' && method === 'GET') {
        sendJson(response, 200, { status: 'healthy', service: 'automation-services' });
        return;
      }
      if (path === FAULTS_PATH) {
        const answer = faults.handle(method, method === 'POST' ? await readJsonBody(request) : undefined);
        sendJson(response, answer.status, answer.body);
        return;
      }
      if (path === '/workflows' && method === 'GET') {
        sendJson(response, 200, { workflows: DEMO_WORKFLOW_NAMES });
        return;
      }
      const match = RUN_PATH.exec(path);
      if (match === null) {
        sendJson(response, 404, { error: `no route for ${method} ${path}` });
        return;
      }
      if (method !== 'POST') {
        sendJson(response, 405, { error: 'workflows are run with POST' });
        return;
      }
      await faults.beforeRequest();
      const name = decodeURIComponent(match[1] ?? '');
      if (!isWorkflowName(name)) {
        sendJson(response, 404, {
          error: `unknown workflow "${name}"; known: ${DEMO_WORKFLOW_NAMES.join(', ')}`,
        });
        return;
      }
      const run = parseRun(await readJsonBody(request), request);
      if (typeof run === 'string') {
        sendJson(response, 400, { error: run });
        return;
      }
      const started = performance.now();
      try {
        const steps = await runSteps(telemetry, faults, name, workflows[name], run);
        sendJson(response, 200, {
          workflow: name,
          status: 'success',
          durationMs: Math.round(performance.now() - started),
          steps,
        });
      } catch (error) {
        telemetry.recordException(error);
        sendJson(response, 500, {
          workflow: name,
          status: 'failure',
          error: error instanceof Error ? error.message : String(error),
        });
      }
    };

    const server = createServer(
      instrumentRequestListener(
        telemetry,
        (request, response) => {
          handle(request, response).catch((error: unknown) => {
            if (error instanceof BodyError) {
              sendJson(response, error.status, { error: error.message });
              return;
            }
            telemetry.recordException(error);
            if (!response.headersSent)
              sendJson(response, 500, {
                error: error instanceof InjectedFault ? error.message : 'internal error',
              });
          });
        },
        { ignorePaths: IGNORED_PATHS, route: routeOf },
      ),
    );
    const bound = await listen(server, port, host);
    return { port: bound, close: () => closeServer(server) };
  };
}
