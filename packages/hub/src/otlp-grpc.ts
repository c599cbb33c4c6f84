/**
 * The OTLP/gRPC receiver (port 4317): the trace, logs and metrics `Export` services of
 * `opentelemetry.proto.collector.*.v1`, decoded by the same code as OTLP/HTTP's protobuf and
 * handed to the same ingest. Status codes follow the OTLP specification: INVALID_ARGUMENT for a
 * malformed request (not retried), UNAVAILABLE when overloaded or the store cannot write
 * (retried with backoff), UNAUTHENTICATED without the ingest token. Messages are raw bytes to
 * grpc-js; protobufjs does the decoding, so both transports read one descriptor.
 */
import type {
  ServerUnaryCall,
  ServiceDefinition,
  UntypedServiceImplementation,
  sendUnaryData,
} from '@grpc/grpc-js';
import { Server, ServerCredentials, status } from '@grpc/grpc-js';
import type { HubCounters } from './counters.js';
import type { Ingest } from './ingest.js';
import type { SignalPath } from './receiver.js';
import {
  GRPC_CODES,
  SIGNALS,
  ingestFailure,
  ingestSignal,
  partialSuccess,
  tokenMatches,
} from './receiver.js';

const SERVICES: Readonly<Record<SignalPath, string>> = {
  '/v1/traces': 'opentelemetry.proto.collector.trace.v1.TraceService',
  '/v1/logs': 'opentelemetry.proto.collector.logs.v1.LogsService',
  '/v1/metrics': 'opentelemetry.proto.collector.metrics.v1.MetricsService',
};

const identity = (bytes: Buffer): Buffer => bytes;

function exportDefinition(service: string): ServiceDefinition {
  return {
    Export: {
      path: `/${service}/Export`,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  };
}

export interface OtlpGrpcOptions {
  readonly ingest: Ingest;
  readonly counters: HubCounters;
  readonly maxBodyBytes: number;
  readonly ingestToken: string | undefined;
}

export interface OtlpGrpcReceiver {
  readonly port: number;
  close(): Promise<void>;
}

/** `host:port`, with an IPv6 host in brackets. */
export const hostPort = (host: string, port: number): string =>
  `${host.includes(':') ? `[${host}]` : host}:${String(port)}`;

export function startOtlpGrpc(
  options: OtlpGrpcOptions,
  host: string,
  port: number,
): Promise<OtlpGrpcReceiver> {
  const { ingest, counters } = options;
  const server = new Server({
    'grpc.max_receive_message_length': options.maxBodyBytes,
  });
  for (const [path, service] of Object.entries(SERVICES) as [SignalPath, string][]) {
    const responseType = SIGNALS[path];
    const implementation: UntypedServiceImplementation = {
      Export: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
        const authorization = call.metadata.get('authorization')[0];
        if (
          !tokenMatches(typeof authorization === 'string' ? authorization : undefined, options.ingestToken)
        ) {
          counters.refused.inc({ reason: 'unauthorized' });
          callback({ code: status.UNAUTHENTICATED, details: 'a valid bearer token is required' });
          return;
        }
        const fail = (error: unknown): void => {
          const failure = ingestFailure(error, counters, options.maxBodyBytes);
          callback({
            code: failure.code === GRPC_CODES.invalidArgument ? status.INVALID_ARGUMENT : status.UNAVAILABLE,
            details: failure.message,
          });
        };
        let release: () => void;
        try {
          release = ingest.admit(call.request.length);
        } catch (error) {
          fail(error);
          return;
        }
        ingestSignal(ingest, path, call.request, false)
          .finally(release)
          .then((outcome) => {
            const body = partialSuccess(path, outcome.rejected, outcome.rejectReason);
            callback(null, Buffer.from(responseType.encode(responseType.fromObject(body)).finish()));
          }, fail);
      },
    };
    server.addService(exportDefinition(service), implementation);
  }
  return new Promise((resolve, reject) => {
    server.bindAsync(hostPort(host, port), ServerCredentials.createInsecure(), (error, boundPort) => {
      if (error !== null) {
        reject(error);
        return;
      }
      resolve({
        port: boundPort,
        close: () =>
          new Promise((done) => {
            server.tryShutdown(() => {
              done();
            });
            // In-flight calls finish through the ingest's drain; idle clients must not hold us.
            setTimeout(() => {
              server.forceShutdown();
              done();
            }, 2000).unref();
          }),
      });
    });
  });
}
