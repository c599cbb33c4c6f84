/**
 * obs erase: a data subject's deletion (the specification's "data subject deletion"), from the
 * hub of local mode and from the production stack's Elasticsearch; what each store found and
 * deleted, and an audit record of it in each.
 */
import { userInfo } from 'node:os';
import { LOG_FIELDS, SPAN_ATTRIBUTES, SPEC_PORTS } from '@pyairtable/conventions';
import { ERASE_PATH, parseErasureRequest } from '@pyairtable/hub';
import type { ErasureCounts, ErasureOutcome, ErasureRequest } from '@pyairtable/hub';
import { randomUUID } from 'node:crypto';
import { EXIT_CODES, ErasureError, UsageError } from '../errors.js';
import type { CliIo } from '../io.js';
import {
  ERASE_SERVICE_NAME,
  ElasticsearchError,
  elasticAuthorization,
  elasticDryRun,
  eraseInElasticsearch,
} from '../erasure/elasticsearch.js';
import type { WireRequest } from '../erasure/elasticsearch.js';
import { DEFAULT_DATA_DIR, HUB_ADMIN_TOKEN_FILE, readHubAdminToken, readState } from '../local/state.js';
import { table } from '../local/table.js';
import { dataDirArgs, runningState } from './status.js';

export const ERASE_HELP = `Usage: obs erase --user <id> [--tenant <id>] [options]

Deletes one person's data from what the stack stores, and records that it did (an audit log
record: who asked, when, how much was deleted; never whose data it was).

  hub            every trace with a span whose ${SPAN_ATTRIBUTES.userId} is <id> (whole), and every log record
                 whose ${LOG_FIELDS.userId} is <id> or that belongs to one of those traces; then the store
                 is rewritten so that nothing of them is left in its files
  elasticsearch  the same over Jaeger's span indices and the log data streams
                 (delete-by-query), with --elasticsearch <url>

With --tenant, only data of that tenant, or naming no tenant, is deleted: the same user id in
another tenant is another person. An id is required: obs erase never deletes by pattern.

Options:
  --user <id>            the data subject's user id (required)
  --tenant <id>          only within this tenant
  --actor <name>         who asks, for the audit record (default: this system user)
  --data-dir <dir>       the local-mode data directory whose hub to erase from (default: ./${DEFAULT_DATA_DIR})
  --hub <url>            a hub's OTLP/HTTP address instead (e.g. http://127.0.0.1:${String(SPEC_PORTS.otlpHttp)})
  --elasticsearch <url>  erase from this Elasticsearch (alone, unless --hub or --data-dir is given too)
  --dry-run              print the requests instead of sending them
  --json                 the outcome as JSON
  -h, --help             this help

Environment: local mode's hub takes the token obs up keeps in <data dir>/${HUB_ADMIN_TOKEN_FILE};
another hub HUB_ADMIN_TOKEN, else HUB_INGEST_TOKEN (a hub with no admin token takes its ingest
token). ELASTICSEARCH_API_KEY, or ELASTICSEARCH_USERNAME and ELASTICSEARCH_PASSWORD: a user
allowed to read and delete on the indices and, for large deletions run as tasks and polled with
their progress, the cluster privilege monitor (without it, each deletion runs in its request).
NODE_EXTRA_CA_CERTS for Elasticsearch's CA. Credentials are never taken as options.

Exit code 0 when every store erased, 2 on a usage error, 5 when a store refused or failed,
6 when no hub runs from the data directory.
`;

interface StoreOutcome extends ErasureCounts {
  readonly store: string;
  readonly erasureId: string;
  readonly compacted?: boolean;
  readonly compactionError?: string;
}

interface EraseOptions {
  readonly request: ErasureRequest;
  readonly hubUrl: string | undefined;
  /** The hub's bearer token for erasures: HUB_ADMIN_TOKEN, local mode's token file, or HUB_INGEST_TOKEN. */
  readonly hubToken: string | undefined;
  readonly elasticsearchUrl: string | undefined;
  readonly dryRun: boolean;
  readonly json: boolean;
}

/** The command line as an erasure request and its targets; a UsageError names what is wrong. */
function parseOptions(args: readonly string[], io: CliIo): EraseOptions | undefined {
  const parsed = dataDirArgs(args, ERASE_HELP, io, {
    user: { type: 'string' },
    tenant: { type: 'string' },
    actor: { type: 'string' },
    hub: { type: 'string' },
    elasticsearch: { type: 'string' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (parsed === undefined) return undefined;
  const { values, dataDir } = parsed;
  const option = (name: string): string | undefined =>
    typeof values[name] === 'string' ? values[name] : undefined;
  if (option('user') === undefined)
    throw new UsageError(
      `--user <id> is required: obs erase deletes one person's data, named by id.\n\n${ERASE_HELP}`,
    );
  let request: ErasureRequest;
  try {
    // The hub's own check of the request, so both sides refuse the same ids alike.
    request = parseErasureRequest(
      Buffer.from(
        JSON.stringify({
          user: option('user'),
          ...(option('tenant') === undefined ? {} : { tenant: option('tenant') }),
          actor: option('actor') ?? systemUser(),
        }),
      ),
    );
  } catch (error) {
    throw new UsageError(
      `${(error as Error).message.replace(/"(user|tenant|actor)"/, '--$1')}\n\nRun obs erase --help for the options.`,
    );
  }
  const elasticsearchUrl = option('elasticsearch');
  const localHub =
    option('hub') === undefined && (elasticsearchUrl === undefined || values['data-dir'] !== undefined);
  return {
    request,
    hubUrl:
      option('hub') ??
      (!localHub
        ? undefined
        : values['dry-run'] === true
          ? localHubUrl(dataDir)
          : runningState(dataDir).otlpHttpUrl),
    // Local mode's hub takes only the token its obs up minted; another hub, the environment's.
    hubToken:
      (localHub && option('hub') === undefined ? readHubAdminToken(dataDir) : undefined) ??
      setting(io.env['HUB_ADMIN_TOKEN']) ??
      setting(io.env['HUB_INGEST_TOKEN']),
    elasticsearchUrl,
    dryRun: values['dry-run'] === true,
    json: values['json'] === true,
  };
}

/** An environment variable's value, an empty one counting as unset. */
const setting = (value: string | undefined): string | undefined => (value === '' ? undefined : value);

/** Local mode's hub for a dry run: the running one's, or a placeholder naming the data directory. */
function localHubUrl(dataDir: string): string {
  return readState(dataDir)?.otlpHttpUrl ?? `<the hub of obs up in ${dataDir}>`;
}

function systemUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

async function eraseInHub(
  hubUrl: string,
  request: ErasureRequest,
  token: string | undefined,
): Promise<StoreOutcome> {
  const url = `${hubUrl.replace(/\/+$/, '')}${ERASE_PATH}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify({
        user: request.subject.userId,
        tenant: request.subject.tenantId,
        actor: request.actor,
      }),
      // Rewriting a large store takes a while; a few minutes at most for the hub's size cap.
      signal: AbortSignal.timeout(600_000),
    });
  } catch (error) {
    throw new ErasureError(`the hub at ${hubUrl} could not be reached: ${(error as Error).message}`);
  }
  const text = await response.text();
  if (!response.ok)
    throw new ErasureError(
      `the hub answered ${String(response.status)}: ${text.slice(0, 300)}${response.status === 401 ? ` (set HUB_ADMIN_TOKEN to its admin token, or HUB_INGEST_TOKEN where it has none; local mode keeps it in <data dir>/${HUB_ADMIN_TOKEN_FILE})` : ''}`,
    );
  let outcome: ErasureOutcome;
  try {
    outcome = JSON.parse(text) as ErasureOutcome;
  } catch {
    throw new ErasureError(`the hub answered 200 but not with JSON: ${text.slice(0, 200)}`);
  }
  return { store: `hub (${hubUrl})`, ...outcome };
}

const printWire = (io: CliIo, target: string, request: WireRequest): void => {
  io.stdout(`${request.method} ${target}${request.path}`);
  io.stdout(JSON.stringify(request.body));
};

function dryRun(io: CliIo, options: EraseOptions): number {
  const { request } = options;
  io.stdout('Dry run: nothing is sent. These are the requests obs erase would send.\n');
  if (options.hubUrl !== undefined)
    printWire(io, options.hubUrl, {
      method: 'POST',
      path: ERASE_PATH,
      body: { user: request.subject.userId, tenant: request.subject.tenantId, actor: request.actor },
    });
  if (options.elasticsearchUrl !== undefined) {
    for (const wire of elasticDryRun(request)) printWire(io, options.elasticsearchUrl, wire);
    io.stdout(
      `…repeated until the search finds no trace, then the audit record (service ${ERASE_SERVICE_NAME}).`,
    );
  }
  return EXIT_CODES.ok;
}

function printOutcomes(io: CliIo, options: EraseOptions, outcomes: readonly StoreOutcome[]): void {
  if (outcomes.length === 0) return;
  if (options.json) {
    io.stdout(JSON.stringify({ erased: outcomes }, null, 2));
    return;
  }
  io.stdout(
    table(
      ['store', 'traces', 'spans', 'log records', 'audit record'],
      outcomes.map((outcome) => [
        outcome.store,
        String(outcome.traces),
        String(outcome.spans),
        String(outcome.logRecords),
        outcome.erasureId,
      ]),
    ),
  );
  io.stdout(
    `\nErased${options.request.subject.tenantId === undefined ? '' : ' within the tenant'}; each store keeps an audit record under the id shown (no id of the person is in it).`,
  );
}

export async function eraseCommand(args: readonly string[], io: CliIo): Promise<number> {
  const options = parseOptions(args, io);
  if (options === undefined) return EXIT_CODES.ok;
  if (options.dryRun) return dryRun(io, options);
  const outcomes: StoreOutcome[] = [];
  let failure: ErasureError | undefined;
  if (options.hubUrl !== undefined)
    outcomes.push(await eraseInHub(options.hubUrl, options.request, options.hubToken));
  if (options.elasticsearchUrl !== undefined) {
    const erasureId = randomUUID();
    try {
      const counts = await eraseInElasticsearch(
        { url: options.elasticsearchUrl, authorization: elasticAuthorization(io.env) },
        options.request,
        erasureId,
        Date.now,
        (line) => {
          io.stderr(`obs erase: ${line}`);
        },
      );
      outcomes.push({ store: `elasticsearch (${options.elasticsearchUrl})`, erasureId, ...counts });
    } catch (error) {
      if (!(error instanceof ElasticsearchError)) throw error;
      // What the other stores erased is printed before the failure: their audit ids matter.
      failure = new ErasureError(`elasticsearch: ${error.message}`);
    }
  }
  printOutcomes(io, options, outcomes);
  if (failure !== undefined) throw failure;
  const uncompacted = outcomes.find((outcome) => outcome.compacted === false);
  if (uncompacted !== undefined)
    throw new ErasureError(
      `${uncompacted.store}: erased and recorded, but the store could not be rewritten (${uncompacted.compactionError ?? 'no reason given'}), so the deleted rows stay in its file until an erasure rewrites it. Free what it needs (disk space) and run obs erase again.`,
    );
  return EXIT_CODES.ok;
}
