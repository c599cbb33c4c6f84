/**
 * @pyairtable/demo: the PyAirtable-shaped platform `obs up --demo` runs, so the stack has real
 * services to observe. Each service runs as its own process (`node dist/service.js <name>`, or
 * `demoServiceLaunch` for a supervisor); `runTraffic` drives them through the gateway with
 * optional incidents.
 */
export {
  DEMO_SERVICES,
  DEMO_HOST,
  DEFAULT_DEMO_API_KEY,
  DEFAULT_OTLP_ENDPOINT,
  INSTRUMENTED_SERVICE_NAMES,
  MOCK_SERVICE_NAMES,
  SERVICE_ENTRY,
  demoService,
  demoServiceLaunch,
  isDemoServiceName,
} from './services.js';
export type {
  DemoService,
  DemoServiceName,
  DemoFramework,
  DemoLaunch,
  DemoLaunchOptions,
  InstrumentedServiceName,
  MockServiceName,
} from './services.js';
export { startService, DEMO_VERSION } from './start.js';
export type { RunningService, StartServiceOptions } from './start.js';
export { DemoConfigError } from './config.js';
export type { DemoEnv } from './config.js';
export {
  FAULT_LIMITS,
  FAULT_NAMES,
  FAULTS_PATH,
  NO_FAULTS,
  InjectedFault,
  parseFaultUpdate,
} from './faults.js';
export type { FaultLimit, FaultName, Faults, FaultUpdate } from './faults.js';
export { startMockAirtable, startMockLlm, RECORDED_REQUESTS } from './mocks.js';
export type { MockOptions, MockServer, RecordedRequest } from './mocks.js';
export { DEMO_BASES, DEMO_WORKFLOW_NAMES } from './catalog.js';
export type { DemoBase, DemoWorkflowName } from './catalog.js';
export { RECORDS_CACHE } from './airtable-gateway.js';
export {
  runTraffic,
  TrafficError,
  TRAFFIC_FAULTS,
  TRAFFIC_FAULT_PLAN,
  TRAFFIC_LIMITS,
  AUTH_FAILURE_SHARE,
  BACKEND_SERVICES,
} from './traffic.js';
export type {
  BackendService,
  TrafficCounts,
  TrafficFault,
  TrafficOptions,
  TrafficProgress,
  TrafficResult,
} from './traffic.js';
