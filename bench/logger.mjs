// Our logger writing the contract's access record vs raw pino writing an equivalent object,
// both to /dev/null through the same synchronous destination, so formatting is what is
// measured. Masking off (the comparison target) and on.
//
//   npm run build && node bench/logger.mjs
import { pino } from 'pino';
import { initTelemetry } from '@pyairtable/telemetry';
import { compare, opsPerSecond, report } from './harness.mjs';

const N = 200_000;
const destination = () => pino.destination({ dest: '/dev/null', sync: true });
const fields = {
  http: { method: 'GET', route: '/api/bases/:baseId/records', status_code: 200, response_time_ms: 12.5 },
  user: { id: 'usr_42' },
  tenant: { id: 'tenant-7' },
  cost: { center: 'gateway', weight: 2 },
};
const message = 'GET /api/bases/:baseId/records 200';

const raw = pino({ base: { service: { name: 'api-gateway', tier: 'gateway' } } }, destination());

async function ours(maskLogs) {
  const telemetry = initTelemetry({
    serviceName: 'api-gateway',
    serviceTier: 'gateway',
    exportTraces: false,
    maskLogs,
    logDestination: destination(),
    runtimeMetrics: false,
  });
  const access = telemetry.log('access');
  const result = opsPerSecond(() => access.info(fields, message), N);
  await telemetry.shutdown();
  return result;
}

const medians = await compare({
  'raw pino, equivalent object': () => opsPerSecond(() => raw.info(fields, message), N),
  'ours, contract record, masking off': () => ours(false),
  'ours, contract record, masking on': () => ours(true),
});
report(
  `Logger, ${N} records per round (median of 5 rounds)`,
  medians,
  'records/s',
  'raw pino, equivalent object',
);
