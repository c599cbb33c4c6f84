/** What every part of the Kubernetes render reads: the model and the choices made around it. */
import type { Channels } from '../../alerting.js';
import type { StackModel } from '../../model.js';
import type { SsoSettings } from '../../sso.js';

export interface KubernetesOptions {
  /** Namespace of the observability stack (default `observability`). */
  readonly namespace: string;
  /** Namespace of the PyAirtable services (default `pyairtable`). */
  readonly applicationNamespace: string;
  /** Istio's STRICT mTLS and tracing resources. */
  readonly istio: boolean;
  /** Storage class for every volume claim; the cluster's default when unset. */
  readonly storageClass?: string;
}

export interface KubernetesContext extends KubernetesOptions {
  readonly model: StackModel;
  readonly channels: Channels;
  /** Production runs every stateless component twice (and Elasticsearch on three nodes). */
  readonly highAvailability: boolean;
  /** Grafana's single sign-on, when set (production requires it unless told otherwise). */
  readonly sso?: SsoSettings;
}

/** Replicas of a stateless component in this profile. */
export const replicas = (context: KubernetesContext): number => (context.highAvailability ? 2 : 1);
