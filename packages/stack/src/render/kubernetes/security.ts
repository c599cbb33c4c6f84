/**
 * Who may reach what. Every pod of the stack's namespace refuses traffic by default; the stack
 * talks to itself, the application's pods reach only the collector agent's OTLP ports, the
 * operators reach what they manage, and the UIs answer only namespaces labelled for it (an
 * ingress controller's). With --istio, STRICT mTLS and mesh tracing into the same collector.
 */
import { SPEC_PORTS } from '@pyairtable/conventions';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import { PeerAuthentication } from '@kubernetes-models/istio/security.istio.io/v1/PeerAuthentication';
import { Telemetry } from '@kubernetes-models/istio/telemetry.istio.io/v1/Telemetry';
import { COMPONENTS } from '../../components.js';
import type { ComponentName } from '../../components.js';
import type { KubernetesContext } from './context.js';
import { ECK_OPERATOR_NAMESPACE, PART_OF, labelsFor, selectorFor } from './names.js';
import { COLLECTOR_AGENT } from './workloads.js';
import type { Manifest } from './workloads.js';

/** A namespace labelled so may open the UIs (give it to the ingress controller's namespace). */
export const UI_ACCESS_LABEL = 'observability.pyairtable.io/ui-access';
/** Istio's name for the collector agent as a tracing provider (declared in the mesh config). */
export const ISTIO_TRACING_PROVIDER = 'pyairtable-otel';
const NAME_LABEL = 'kubernetes.io/metadata.name';

const namespacePeer = (name: string): INetworkPolicyPeer => ({
  namespaceSelector: { matchLabels: { [NAME_LABEL]: name } },
});

/** Pod labels each UI's pods carry (set by the chart or operator that runs them). */
const UI_PODS: Readonly<Partial<Record<ComponentName, Record<string, string>>>> = {
  grafana: { 'app.kubernetes.io/name': 'grafana' },
  prometheus: { 'app.kubernetes.io/name': 'prometheus' },
  alertmanager: { 'app.kubernetes.io/name': 'alertmanager' },
  jaeger: selectorFor('jaeger'),
  kibana: { 'kibana.k8s.elastic.co/name': 'pyairtable' },
};

function policy(
  context: KubernetesContext,
  name: string,
  podSelector: Record<string, string>,
  from: INetworkPolicyPeer[],
  ports?: number[],
): NetworkPolicy {
  return new NetworkPolicy({
    metadata: { name, namespace: context.namespace, labels: labelsFor('network-policy') },
    spec: {
      podSelector: { matchLabels: podSelector },
      policyTypes: ['Ingress'],
      ingress: [
        {
          ...(from.length > 0 ? { from } : {}),
          ...(ports === undefined ? {} : { ports: ports.map((port) => ({ port, protocol: 'TCP' })) }),
        },
      ],
    },
  });
}

export function networkPolicies(context: KubernetesContext): NetworkPolicy[] {
  const has = (component: ComponentName): boolean => context.model.components.includes(component);
  const policies = [
    new NetworkPolicy({
      metadata: {
        name: 'default-deny-ingress',
        namespace: context.namespace,
        labels: labelsFor('network-policy'),
      },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    }),
    // The stack's own traffic: scrapes, OTLP between tiers, Jaeger and Grafana to Elasticsearch.
    policy(context, 'allow-within-stack', {}, [{ podSelector: {} }]),
    // Services send telemetry to the agent on their node, nowhere else.
    policy(
      context,
      'allow-otlp-from-application',
      selectorFor(COLLECTOR_AGENT),
      [namespacePeer(context.applicationNamespace)],
      [SPEC_PORTS.otlpGrpc, SPEC_PORTS.otlpHttp],
    ),
    // The Prometheus operator's admission webhook is called by the API server, from outside any namespace.
    policy(
      context,
      'allow-prometheus-operator-webhook',
      { app: 'kube-prometheus-stack-operator' },
      [],
      [10250],
    ),
  ];
  if (has('elasticsearch'))
    policies.push(
      // Elastic's operator manages the cluster through its HTTP API.
      policy(
        context,
        'allow-eck-operator',
        { 'elasticsearch.k8s.elastic.co/cluster-name': 'pyairtable' },
        [namespacePeer(ECK_OPERATOR_NAMESPACE)],
        [COMPONENTS.elasticsearch.port],
      ),
    );
  for (const [component, pods] of Object.entries(UI_PODS) as [ComponentName, Record<string, string>][])
    if (has(component))
      policies.push(
        policy(
          context,
          `allow-ui-${component}`,
          pods,
          [{ namespaceSelector: { matchLabels: { [UI_ACCESS_LABEL]: 'true' } } }],
          [COMPONENTS[component].port],
        ),
      );
  return policies;
}

export function namespaces(context: KubernetesContext): Namespace[] {
  return [
    new Namespace({
      metadata: {
        name: context.namespace,
        labels: { ...PART_OF, ...(context.istio ? { 'istio-injection': 'enabled' } : {}) },
      },
    }),
  ];
}

/** STRICT mTLS in both namespaces; every request traced to the agent (tail sampling decides later). */
export function istioManifests(context: KubernetesContext): Manifest[] {
  if (!context.istio) return [];
  const strict = (namespace: string): PeerAuthentication =>
    new PeerAuthentication({
      metadata: { name: 'default', namespace, labels: labelsFor('istio') },
      spec: { mtls: { mode: 'STRICT' } },
    });
  return [
    strict(context.namespace),
    strict(context.applicationNamespace),
    new Telemetry({
      metadata: {
        name: 'pyairtable-tracing',
        namespace: context.applicationNamespace,
        labels: labelsFor('istio'),
      },
      spec: {
        tracing: [
          {
            providers: [{ name: ISTIO_TRACING_PROVIDER }],
            // The contract samples at the gateway, on whole traces: the mesh sends every one.
            randomSamplingPercentage: 100,
          },
        ],
      },
    }),
  ];
}

/** istiod's mesh config naming the agent as the tracing provider (`helm upgrade istiod -f`). */
export function istioMeshValues(context: KubernetesContext): object {
  return {
    meshConfig: {
      extensionProviders: [
        {
          name: ISTIO_TRACING_PROVIDER,
          opentelemetry: {
            service: `${COLLECTOR_AGENT}.${context.namespace}.svc.cluster.local`,
            port: SPEC_PORTS.otlpGrpc,
          },
        },
      ],
    },
  };
}
