/**
 * `obs`: the command line of the PyAirtable observability stack. `main` is the single error
 * boundary: commands throw, main prints one clear message and returns the exit code.
 */
import { EXIT_CODES, UsageError, exitCodeFor } from './errors.js';
import type { CliIo } from './io.js';
import { runHubCli } from '@pyairtable/hub';
import { renderCommand } from './commands/render.js';
import { certsCommand } from './commands/certs.js';
import { upCommand } from './commands/up.js';
import { downCommand } from './commands/down.js';
import { statusCommand } from './commands/status.js';
import { verifyCommand } from './commands/verify.js';
import { trafficCommand } from './commands/traffic.js';
import { doctorCommand } from './commands/doctor.js';
import { eraseCommand } from './commands/erase.js';
import { checkServiceCommand } from './commands/check-service.js';
import { costCommand } from './commands/cost.js';

export {
  EXIT_CODES,
  ConfigurationFileError,
  ErasureError,
  SourceError,
  NotRunningError,
  PortsInUseError,
  UsageError,
  exitCodeFor,
} from './errors.js';
export type { CliIo } from './io.js';
export { RENDER_HELP } from './commands/render.js';
export { CERTS_HELP } from './commands/certs.js';
export { ERASE_HELP } from './commands/erase.js';
export { CHECK_SERVICE_HELP } from './commands/check-service.js';
export { COST_HELP } from './commands/cost.js';
export { UP_HELP, accessTable, parseTimeScale, parsePortOffset } from './commands/up.js';
export { samplingFindings } from './commands/doctor.js';
export type { Finding } from './commands/doctor.js';
export { TRAFFIC_SWITCHES } from './commands/traffic.js';
export { LOCAL_ENGINES, SPEC_PORTS, HUB_PORTS } from './local/engines.js';
export { readState, DEFAULT_DATA_DIR, STATE_FILE } from './local/state.js';
export { demoPorts } from './local/demo.js';
export type { LocalState } from './local/state.js';

const COMMANDS: Readonly<Record<string, (args: readonly string[], io: CliIo) => number | Promise<number>>> = {
  up: upCommand,
  down: downCommand,
  status: statusCommand,
  verify: verifyCommand,
  traffic: trafficCommand,
  doctor: doctorCommand,
  erase: eraseCommand,
  'check-service': checkServiceCommand,
  cost: costCommand,
  render: renderCommand,
  certs: certsCommand,
  // The hub owns its process (listeners, signals); obs hands it the arguments.
  hub: (args, io) =>
    runHubCli(args, io.env, 'obs hub', {
      stdout: (text) => {
        io.stdout(text.replace(/\n$/, ''));
      },
      stderr: (text) => {
        io.stderr(text.replace(/\n$/, ''));
      },
    }),
};

export const HELP = `Usage: obs <command> [options]

Commands:
  up             bring the stack up: local mode (the hub and the engines installed here), or Docker
  down           stop what obs up started
  status         what runs, and whether each part is healthy
  verify         health checks, then a canary trace, log record and metric through the pipeline
  traffic        load against the demo, with incidents that fire the alerts
  doctor         find what keeps the stack from working, and say how to fix it
  erase          delete one person's data from the hub and Elasticsearch, with an audit record
  check-service  check a running service (any language) against the contract
  cost           what observability and AI cost a month, from the volumes the stack measured
  render         write the stack's deployment files
  certs          make the CA, certificates and UI passwords for TLS between every part
  hub            run the hub alone: OTLP in, durable store, Jaeger's API out

Run obs <command> --help for a command's options. Start with: obs up --demo
`;

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      io.stdout(HELP);
      return command === undefined ? EXIT_CODES.usage : EXIT_CODES.ok;
    }
    const run = COMMANDS[command];
    if (run === undefined) throw new UsageError(`unknown command "${command}".\n\n${HELP}`);
    return await Promise.resolve(run(rest, io));
  } catch (error) {
    const code = exitCodeFor(error);
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`obs ${command ?? ''}: ${message}`.replace(/\s+$/, ''));
    if (code === EXIT_CODES.unexpected) {
      io.stderr('This is a bug in obs; please report it with the command you ran.');
      if (io.env['OBS_DEBUG'] !== undefined && error instanceof Error && error.stack !== undefined)
        io.stderr(error.stack);
    }
    return code;
  }
}
