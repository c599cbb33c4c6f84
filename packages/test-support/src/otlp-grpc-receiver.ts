/**
 * A loopback OTLP/gRPC receiver for tests: answers TraceService/Export with an empty (valid)
 * response and keeps each request's raw protobuf bytes.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';

export interface OtlpGrpcReceiver {
  /** `http://127.0.0.1:PORT`, as an OTLP gRPC exporter takes it. */
  readonly url: string;
  readonly requests: Buffer[];
  waitForRequests(count: number, timeoutMs?: number): Promise<Buffer[]>;
  close(): Promise<void>;
}

const identity = (value: Buffer): Buffer => value;

export async function startOtlpGrpcReceiver(): Promise<OtlpGrpcReceiver> {
  const requests: Buffer[] = [];
  const server = new Server();
  server.addService(
    {
      Export: {
        path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    {
      Export: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
        requests.push(call.request);
        callback(null, Buffer.alloc(0));
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => {
      if (error) reject(error);
      else resolve(bound);
    });
  });
  return {
    url: `http://127.0.0.1:${String(port)}`,
    requests,
    waitForRequests: async (count, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < count) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(count)} gRPC exports`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => {
          resolve();
        });
      }),
  };
}
