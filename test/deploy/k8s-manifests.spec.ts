// The Kubernetes manifests of deploy/k8s, checked as a cluster would take them: every YAML document
// validates against the Kubernetes schemas (kubernetes-models, and the Prometheus Operator's for the
// ServiceMonitor), and the objects agree with each other and with the services (selectors, ports,
// disruption budgets, autoscalers, Secrets and their keys, and the configuration each service loads,
// with the keys model: the registry alone holds the signing key, the others reach its public keys).
/* eslint-disable @typescript-eslint/no-unsafe-return -- the helpers hand parsed YAML (any) on to the checks */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { MESHFAB_SERVICES } from '#libs/contracts';
import { generateSigningKeyPem, loadConfig, parsePublicKeySet, signingKeyFromPem } from '#libs/platform';
import { RuntimeConfig } from '#libs/runtime';
import { InspectionConfig } from '../../apps/inspection/src/config.js';
import { MatchingConfig } from '../../apps/matching/src/config.js';
import { OrdersConfig } from '../../apps/orders/src/config.js';
import { RegistryConfig } from '../../apps/registry/src/registry.config.js';
import { SettlementConfig } from '../../apps/settlement/src/config.js';

const DIR = 'deploy/k8s';
/** The services that serve HTTP mostly: scaled on CPU. Matching and settlement are bound by their consumer groups. */
const AUTOSCALED = ['registry', 'orders', 'inspection'];
/** Where the registry publishes its public keys (apps/registry/src/member/jwks.controller.ts). */
const JWKS_PATH = '/registry/.well-known/jwks.json';
/** The namespace the manifests are applied in (deploy/README.md, the ServiceMonitor's namespaceSelector). */
const NAMESPACE = 'meshfab';
const SERVICE_CONFIGS: Record<string, new () => object> = { registry: RegistryConfig, orders: OrdersConfig, matching: MatchingConfig, inspection: InspectionConfig, settlement: SettlementConfig };

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

/** Parsed YAML: its shape is what these checks look at. */
type Json = any;
interface Manifest {
  file: string;
  object: Json;
}

function readManifests(): Manifest[] {
  const manifests: Manifest[] = [];
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(DIR, file), 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      const object: Json = doc.toJS();
      if (object) manifests.push({ file, object });
    }
  }
  return manifests;
}

const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/** Everything wrong with a set of manifests, one line per problem (empty: all good). */
function problemsOf(manifests: readonly Manifest[]): string[] {
  const problems: string[] = [];
  const of = (kind: string) => manifests.filter((m) => m.object.kind === kind).map((m) => m.object);
  const named = (kind: string, name: string) => of(kind).find((o) => o.metadata?.name === name);

  for (const { file, object } of manifests) {
    const Model = MODELS[`${object.apiVersion}/${object.kind}`];
    if (!Model) {
      problems.push(`${file}: no schema for ${object.apiVersion} ${object.kind}`);
      continue;
    }
    try {
      new Model(object as never).validate();
    } catch (error) {
      problems.push(`${file}: ${object.kind} ${object.metadata?.name}: ${(error as Error).message}`);
    }
  }

  const deployments = of('Deployment');
  const podLabels = (d: Json): Record<string, string> => d.spec.template.metadata.labels;
  const containerPorts = (d: Json) => d.spec.template.spec.containers.flatMap((c: Json) => c.ports ?? []);
  const hasPort = (d: Json, port: string | number) => containerPorts(d).some((p: Json) => p.name === port || p.containerPort === port);

  for (const service of MESHFAB_SERVICES) {
    const deployment = named('Deployment', service);
    if (!deployment) {
      problems.push(`${service}: no Deployment`);
      continue;
    }
    if (!matches(deployment.spec.selector?.matchLabels, podLabels(deployment))) problems.push(`Deployment ${service}: its selector does not match its pod labels`);
    const command: string[] = deployment.spec.template.spec.containers[0].command ?? [];
    const main = command.find((c) => c.startsWith('dist/'));
    if (!main || !existsSync(main.replace(/^dist\//, '').replace(/\.js$/, '.ts'))) problems.push(`Deployment ${service}: runs ${main}, which the build does not produce`);
    else if (!main.includes(`apps/${service}/`)) problems.push(`Deployment ${service}: runs ${main}, another service`);

    const hpa = of('HorizontalPodAutoscaler').find((h) => h.spec.scaleTargetRef?.kind === 'Deployment' && h.spec.scaleTargetRef?.name === service);
    if (hpa && deployment.spec.replicas !== undefined) problems.push(`Deployment ${service}: sets replicas although HorizontalPodAutoscaler ${hpa.metadata.name} owns the count`);
    if (AUTOSCALED.includes(service)) {
      if (!hpa) problems.push(`${service}: no HorizontalPodAutoscaler`);
      else if (!hpa.spec.metrics?.some((m: Json) => m.type === 'Resource' && m.resource?.name === 'cpu')) problems.push(`HorizontalPodAutoscaler ${service}: does not scale on CPU`);
      if (hpa && !deployment.spec.template.spec.containers.every((c: Json) => c.resources?.requests?.cpu)) problems.push(`Deployment ${service}: CPU autoscaling needs CPU requests`);
    }
    const replicas: number = hpa ? (hpa.spec.minReplicas ?? 1) : (deployment.spec.replicas ?? 1);
    if (replicas < 2) problems.push(`${service}: ${replicas} replica(s); a service that scales runs 2 so that a disruption budget can protect it`);

    const budgets = of('PodDisruptionBudget').filter((p) => matches(p.spec.selector?.matchLabels, podLabels(deployment)));
    if (budgets.length !== 1) problems.push(`${service}: ${budgets.length} PodDisruptionBudgets select its pods (want 1)`);
    for (const pdb of budgets) {
      const { minAvailable, maxUnavailable } = pdb.spec;
      if (typeof minAvailable === 'number' && (minAvailable < 1 || minAvailable >= replicas)) {
        problems.push(`PodDisruptionBudget ${pdb.metadata.name}: minAvailable ${minAvailable} with ${replicas} replicas ${minAvailable < 1 ? 'protects nothing' : 'blocks every drain'}`);
      }
      if (typeof maxUnavailable === 'number' && (maxUnavailable < 1 || maxUnavailable >= replicas)) problems.push(`PodDisruptionBudget ${pdb.metadata.name}: maxUnavailable ${maxUnavailable} with ${replicas} replicas`);
      if (minAvailable === undefined && maxUnavailable === undefined) problems.push(`PodDisruptionBudget ${pdb.metadata.name}: neither minAvailable nor maxUnavailable`);
    }

    const services = of('Service').filter((s) => matches(s.spec.selector, podLabels(deployment)));
    if (services.length !== 1) problems.push(`${service}: ${services.length} Services select its pods (want 1)`);
    for (const svc of services) {
      for (const port of svc.spec.ports ?? []) {
        if (!hasPort(deployment, port.targetPort ?? port.port)) problems.push(`Service ${svc.metadata.name}: targetPort ${port.targetPort ?? port.port} is no container port of Deployment ${service}`);
      }
    }
    problems.push(...envProblems(service, deployment, manifests));
  }

  for (const hpa of of('HorizontalPodAutoscaler')) {
    if (!named(hpa.spec.scaleTargetRef?.kind, hpa.spec.scaleTargetRef?.name)) problems.push(`HorizontalPodAutoscaler ${hpa.metadata.name}: scales ${hpa.spec.scaleTargetRef?.name}, which does not exist`);
  }
  for (const service of of('Service')) {
    if (!deployments.some((d) => matches(service.spec.selector, podLabels(d)))) problems.push(`Service ${service.metadata.name}: selects no pod`);
  }

  const ingresses = of('Ingress');
  if (ingresses.length === 0) problems.push('no Ingress');
  for (const ingress of ingresses) {
    const backends = (ingress.spec.rules ?? []).flatMap((r: Json) => r.http?.paths ?? []);
    for (const service of MESHFAB_SERVICES) {
      if (!backends.some((p: Json) => p.path === `/${service}` && p.backend.service?.name === service)) problems.push(`Ingress ${ingress.metadata.name}: no /${service} path to Service ${service}`);
    }
    for (const path of backends) {
      const target = named('Service', path.backend.service?.name);
      const port = path.backend.service?.port;
      if (!target) problems.push(`Ingress ${ingress.metadata.name}: ${path.path} goes to Service ${path.backend.service?.name}, which does not exist`);
      else if (!target.spec.ports.some((p: Json) => p.name === port?.name || p.port === port?.number)) problems.push(`Ingress ${ingress.metadata.name}: ${path.path} goes to a port Service ${target.metadata.name} lacks`);
    }
  }

  const policies = of('NetworkPolicy');
  if (!policies.some((p) => (p.spec.policyTypes ?? []).includes('Ingress') && !p.spec.ingress)) problems.push('no default-deny NetworkPolicy for ingress');
  for (const policy of policies) {
    const selected = deployments.filter((d) => matches(policy.spec.podSelector?.matchLabels, podLabels(d)));
    if (selected.length === 0) problems.push(`NetworkPolicy ${policy.metadata.name}: selects no pod`);
    for (const rule of policy.spec.ingress ?? []) {
      for (const port of rule.ports ?? []) {
        for (const d of selected) if (!hasPort(d, port.port)) problems.push(`NetworkPolicy ${policy.metadata.name}: lets in port ${port.port}, which ${d.metadata.name} does not serve`);
      }
    }
  }

  const monitors = of('ServiceMonitor');
  if (monitors.length === 0) problems.push('no ServiceMonitor');
  for (const monitor of monitors) {
    for (const service of MESHFAB_SERVICES) {
      const svc = named('Service', service);
      if (!svc || !matches(monitor.spec.selector?.matchLabels, svc.metadata.labels)) {
        problems.push(`ServiceMonitor ${monitor.metadata.name}: does not scrape ${service}`);
        continue;
      }
      for (const endpoint of monitor.spec.endpoints ?? []) {
        if (!svc.spec.ports.some((p: Json) => p.name === endpoint.port)) problems.push(`ServiceMonitor ${monitor.metadata.name}: port ${endpoint.port} is not a port of Service ${service}`);
      }
    }
  }
  return problems;
}

/**
 * The environment a service's container gets, from its ConfigMaps and Secrets (secrets.example.yaml
 * names their keys; their placeholders are replaced by stand-ins, files written to a folder of the
 * test), loaded with the configuration classes the service itself loads at start-up.
 */
function envProblems(service: string, deployment: Json, manifests: readonly Manifest[]): string[] {
  const problems: string[] = [];
  const find = (kind: string, name: string) => manifests.find((m) => m.object.kind === kind && m.object.metadata?.name === name)?.object;
  const secretValue = (name: string, key: string): string | undefined => {
    const secret = find('Secret', name);
    const value = secret?.stringData?.[key] ?? (secret?.data?.[key] !== undefined ? Buffer.from(secret.data[key], 'base64').toString() : undefined);
    if (value === undefined) return undefined;
    // A placeholder stands for a real value: a private key for a private key, a PEM block (a CA) as it is.
    if (value.includes('BEGIN PRIVATE KEY')) return STAND_IN_SIGNING_KEY;
    return value.includes('BEGIN') ? value : `stand-in-for-${name}-${key}-0123456789abcdefghijklmnop`;
  };
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) {
      const map = find('ConfigMap', source.configMapRef.name);
      if (!map) problems.push(`Deployment ${service}: ConfigMap ${source.configMapRef.name} does not exist`);
      else Object.assign(env, map.data);
    }
    if (source.secretRef) {
      const secret = find('Secret', source.secretRef.name);
      if (!secret) problems.push(`Deployment ${service}: Secret ${source.secretRef.name} does not exist`);
      else for (const key of Object.keys({ ...secret.data, ...secret.stringData })) env[key] = secretValue(source.secretRef.name, key)!;
    }
  }
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom?.secretKeyRef ?? variable.valueFrom?.configMapKeyRef;
    if (variable.value !== undefined) env[variable.name] = variable.value;
    else if (variable.valueFrom?.secretKeyRef) {
      const value = secretValue(ref.name, ref.key);
      if (value === undefined) problems.push(`Deployment ${service}: ${variable.name} comes from Secret ${ref.name} key ${ref.key}, which does not exist`);
      else env[variable.name] = value;
    } else if (variable.valueFrom?.configMapKeyRef) {
      const value = find('ConfigMap', ref.name)?.data?.[ref.key];
      if (value === undefined) problems.push(`Deployment ${service}: ${variable.name} comes from ConfigMap ${ref.name} key ${ref.key}, which does not exist`);
      else env[variable.name] = value;
    }
  }
  // Secret volumes: their files land in a folder of the test, and paths under their mount point follow them.
  const files = mkdtempSync(join(tmpdir(), `meshfab-k8s-${service}-`));
  for (const mount of container.volumeMounts ?? []) {
    const volume = (pod.volumes ?? []).find((v: Json) => v.name === mount.name);
    if (!volume) {
      problems.push(`Deployment ${service}: mounts volume ${mount.name}, which the pod does not declare`);
      continue;
    }
    if (!volume.secret) continue;
    const secret = find('Secret', volume.secret.secretName);
    if (!secret) {
      problems.push(`Deployment ${service}: volume ${mount.name} is Secret ${volume.secret.secretName}, which does not exist`);
      continue;
    }
    const items: { key: string; path: string }[] = volume.secret.items ?? Object.keys({ ...secret.data, ...secret.stringData }).map((key) => ({ key, path: key }));
    for (const item of items) {
      const value = secretValue(volume.secret.secretName, item.key);
      if (value === undefined) problems.push(`Deployment ${service}: volume ${mount.name} wants key ${item.key} of Secret ${volume.secret.secretName}, which does not exist`);
      else writeFileSync(join(files, item.path), value);
    }
    for (const [name, value] of Object.entries(env)) if (value.startsWith(`${mount.mountPath}/`)) env[name] = join(files, value.slice(mount.mountPath.length + 1));
  }
  if (problems.length > 0) return problems;
  try {
    const config = loadConfig(RuntimeConfig, env);
    if (!config.brokers()) problems.push(`Deployment ${service}: no KAFKA_BROKERS (a service on its own needs them)`);
    if (!config.DATABASE_URL) problems.push(`Deployment ${service}: no DATABASE_URL (a service on its own needs it)`);
    if (!config.MESHFAB_OPERATOR_TOKEN) problems.push(`Deployment ${service}: no MESHFAB_OPERATOR_TOKEN`);
    const security = config.kafkaSecurity();
    if (!security?.ssl || !security.sasl) problems.push(`Deployment ${service}: Kafka without TLS and SASL`);
    config.serviceUrls();
    loadConfig(SERVICE_CONFIGS[service], env);
    problems.push(...keyProblems(service, config, env, manifests));
  } catch (error) {
    problems.push(`Deployment ${service}: ${(error as Error).message}`);
  }
  return problems;
}

const STAND_IN_SIGNING_KEY = generateSigningKeyPem();

/**
 * Tokens: the registry signs them with its private key (from a Secret), and only the registry holds it;
 * every other service verifies with the registry's public keys, given (MESHFAB_JWT_PUBLIC_KEYS) or
 * fetched from the registry's Service (MESHFAB_JWKS_URL, else MESHFAB_REGISTRY_URL's JWKS: what
 * libs/runtime/src/run.ts does). The shared HS256 secret is gone.
 */
function keyProblems(service: string, config: RuntimeConfig, env: Record<string, string>, manifests: readonly Manifest[]): string[] {
  const problems: string[] = [];
  if (env.MESHFAB_JWT_SECRET !== undefined) problems.push(`Deployment ${service}: sets MESHFAB_JWT_SECRET, which nothing reads (the registry signs with its private key)`);
  const pem = config.MESHFAB_REGISTRY_SIGNING_KEY ?? (config.MESHFAB_REGISTRY_SIGNING_KEY_FILE ? readFileSync(config.MESHFAB_REGISTRY_SIGNING_KEY_FILE, 'utf8') : undefined);
  if (service !== 'registry') {
    if (pem !== undefined) problems.push(`Deployment ${service}: holds the registry's signing key (only the registry signs)`);
    if (config.MESHFAB_JWT_PUBLIC_KEYS) {
      parsePublicKeySet(config.MESHFAB_JWT_PUBLIC_KEYS, 'MESHFAB_JWT_PUBLIC_KEYS');
      return problems;
    }
    const url = config.MESHFAB_JWKS_URL ?? (config.MESHFAB_REGISTRY_URL ? `${config.MESHFAB_REGISTRY_URL.replace(/\/+$/, '')}${JWKS_PATH}` : undefined);
    if (!url) problems.push(`Deployment ${service}: no keys to verify tokens with (MESHFAB_JWKS_URL or MESHFAB_JWT_PUBLIC_KEYS)`);
    else problems.push(...jwksUrlProblems(service, new URL(url), manifests));
    return problems;
  }
  if (pem === undefined) problems.push('Deployment registry: no signing key (MESHFAB_REGISTRY_SIGNING_KEY or MESHFAB_REGISTRY_SIGNING_KEY_FILE)');
  else signingKeyFromPem(pem);
  if (config.MESHFAB_REGISTRY_SIGNING_KEY !== undefined) problems.push('Deployment registry: its signing key in an environment variable; mount it as a file (MESHFAB_REGISTRY_SIGNING_KEY_FILE)');
  return problems;
}

/** The JWKS URL reaches the registry: its Service's name (in the namespace), one of its ports, the JWKS path. */
function jwksUrlProblems(service: string, url: URL, manifests: readonly Manifest[]): string[] {
  const registry = manifests.find((m) => m.object.kind === 'Service' && m.object.metadata?.name === 'registry')?.object;
  const hosts = ['registry', `registry.${NAMESPACE}`, `registry.${NAMESPACE}.svc`, `registry.${NAMESPACE}.svc.cluster.local`];
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const problems: string[] = [];
  if (!registry || !hosts.includes(url.hostname)) problems.push(`Deployment ${service}: fetches its keys from ${url.host}, not the registry's Service`);
  else if (!registry.spec.ports.some((p: Json) => p.port === port)) problems.push(`Deployment ${service}: fetches its keys from port ${port}, which Service registry does not have`);
  if (url.pathname !== JWKS_PATH) problems.push(`Deployment ${service}: fetches its keys from ${url.pathname}, not ${JWKS_PATH}`);
  return problems;
}

describe('Kubernetes manifests (deploy/k8s)', () => {
  const manifests = readManifests();

  it('validate against the Kubernetes schemas and agree with each other and with the services', () => {
    expect(manifests.length).toBeGreaterThan(20);
    expect(problemsOf(manifests)).toEqual([]);
  });

  // The checks above can fail: each broken copy below is caught, naming the problem.
  const broken = (change: (all: Manifest[]) => void): string[] => {
    const copy = manifests.map((m) => ({ file: m.file, object: structuredClone(m.object) }));
    change(copy);
    return problemsOf(copy);
  };
  const object = (all: Manifest[], kind: string, name: string) => all.find((m) => m.object.kind === kind && m.object.metadata?.name === name)!.object;

  it('catches a budget that would block every drain, and a service down to one pod', () => {
    expect(broken((all) => (object(all, 'PodDisruptionBudget', 'matching').spec.minAvailable = 2))).toEqual([
      'PodDisruptionBudget matching: minAvailable 2 with 2 replicas blocks every drain',
    ]);
    expect(broken((all) => (object(all, 'Deployment', 'settlement').spec.replicas = 1))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^settlement: 1 replica\(s\)/), 'PodDisruptionBudget settlement: minAvailable 1 with 1 replicas blocks every drain']),
    );
  });

  it('catches a Service port no container serves, a selector that selects nothing, and a schema violation', () => {
    expect(broken((all) => (object(all, 'Service', 'orders').spec.ports[0].targetPort = 'web'))).toEqual(['Service orders: targetPort web is no container port of Deployment orders']);
    expect(broken((all) => (object(all, 'Service', 'orders').spec.selector = { 'app.kubernetes.io/name': 'order' }))).toEqual(
      expect.arrayContaining(['orders: 0 Services select its pods (want 1)', 'Service orders: selects no pod']),
    );
    expect(broken((all) => (object(all, 'Deployment', 'registry').spec.template.spec.containers[0].ports[0].containerPort = '3000'))).toEqual(
      expect.arrayContaining([expect.stringMatching(/registry\.yaml: Deployment registry: .*containerPort must be integer/)]),
    );
  });

  it('catches a missing Secret key, a required variable unset, and Kafka settings that do not go together', () => {
    expect(broken((all) => delete object(all, 'Secret', 'meshfab-secrets').stringData.MESHFAB_OPERATOR_TOKEN)).toEqual(
      expect.arrayContaining(['Deployment inspection: MESHFAB_OPERATOR_TOKEN comes from Secret meshfab-secrets key MESHFAB_OPERATOR_TOKEN, which does not exist']),
    );
    expect(broken((all) => delete object(all, 'ConfigMap', 'meshfab-config').data.KAFKA_BROKERS)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Deployment orders: [\s\S]*KAFKA_BROKERS: the Kafka TLS\/SASL settings need brokers/)]),
    );
    expect(broken((all) => (object(all, 'ConfigMap', 'meshfab-config').data.MESHFAB_KAFKA_SASL_MECHANISM = 'gssapi'))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Deployment matching: [\s\S]*MESHFAB_KAFKA_SASL_MECHANISM/)]),
    );
  });

  const container = (all: Manifest[], name: string) => object(all, 'Deployment', name).spec.template.spec.containers[0];

  it('catches a registry without its signing key, a service that holds it, and a leftover MESHFAB_JWT_SECRET', () => {
    expect(broken((all) => (container(all, 'registry').env = container(all, 'registry').env.filter((e: Json) => e.name !== 'MESHFAB_REGISTRY_SIGNING_KEY_FILE')))).toEqual([
      'Deployment registry: no signing key (MESHFAB_REGISTRY_SIGNING_KEY or MESHFAB_REGISTRY_SIGNING_KEY_FILE)',
    ]);
    expect(broken((all) => delete object(all, 'Secret', 'meshfab-registry-key').stringData['signing-key.pem'])).toEqual([
      'Deployment registry: volume signing-key wants key signing-key.pem of Secret meshfab-registry-key, which does not exist',
    ]);
    expect(broken((all) => container(all, 'settlement').env.push({ name: 'MESHFAB_REGISTRY_SIGNING_KEY', valueFrom: { secretKeyRef: { name: 'meshfab-registry-key', key: 'signing-key.pem' } } }))).toEqual([
      "Deployment settlement: holds the registry's signing key (only the registry signs)",
    ]);
    expect(broken((all) => container(all, 'matching').env.push({ name: 'MESHFAB_JWT_SECRET', valueFrom: { secretKeyRef: { name: 'meshfab-secrets', key: 'MESHFAB_OPERATOR_TOKEN' } } }))).toEqual([
      'Deployment matching: sets MESHFAB_JWT_SECRET, which nothing reads (the registry signs with its private key)',
    ]);
  });

  it("catches services that cannot reach the registry's public keys", () => {
    // The registry's Service listens on 80 (its pods on 3000): the URL names the Service's port.
    expect(broken((all) => (object(all, 'ConfigMap', 'meshfab-config').data.MESHFAB_JWKS_URL = `http://registry.meshfab.svc:3000${JWKS_PATH}`))).toEqual(
      MESHFAB_SERVICES.filter((s) => s !== 'registry').map((s) => `Deployment ${s}: fetches its keys from port 3000, which Service registry does not have`),
    );
    expect(broken((all) => (object(all, 'ConfigMap', 'meshfab-config').data.MESHFAB_JWKS_URL = 'http://orders.meshfab.svc/registry/.well-known/jwks.json'))).toEqual(
      expect.arrayContaining(['Deployment inspection: fetches its keys from orders.meshfab.svc, not the registry\'s Service']),
    );
    expect(
      broken((all) => {
        delete object(all, 'ConfigMap', 'meshfab-config').data.MESHFAB_JWKS_URL;
        delete object(all, 'ConfigMap', 'meshfab-config').data.MESHFAB_REGISTRY_URL;
      }),
    ).toEqual(expect.arrayContaining(['Deployment orders: no keys to verify tokens with (MESHFAB_JWKS_URL or MESHFAB_JWT_PUBLIC_KEYS)']));
  });

  it('catches an API without its CPU autoscaler and a ServiceMonitor that misses a service', () => {
    expect(broken((all) => all.splice(all.findIndex((m) => m.object.kind === 'HorizontalPodAutoscaler' && m.object.metadata.name === 'orders'), 1))).toEqual(
      expect.arrayContaining(['orders: no HorizontalPodAutoscaler']),
    );
    expect(broken((all) => (object(all, 'Service', 'settlement').metadata.labels = { 'app.kubernetes.io/name': 'settlement' }))).toEqual(['ServiceMonitor meshfab: does not scrape settlement']);
  });
});
