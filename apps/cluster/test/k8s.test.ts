import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const K8S = fileURLToPath(new URL('../../../deploy/k8s/', import.meta.url));
const SCHEMA_FILE = join(K8S, 'schemas', 'k8s-1.30-strict.json');

/** apiVersion/kind → definition in the vendored schema (every kind deploy/k8s may use). */
const KINDS: Record<string, string> = {
  'apps/v1/Deployment': 'Deployment',
  'apps/v1/StatefulSet': 'StatefulSet',
  'v1/ConfigMap': 'ConfigMap',
  'v1/Secret': 'Secret',
  'v1/Service': 'Service',
  'networking.k8s.io/v1/Ingress': 'Ingress',
  'policy/v1/PodDisruptionBudget': 'PodDisruptionBudget',
};

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Follows a path of keys and array indexes; undefined where it leads nowhere. */
function at(v: unknown, ...path: (string | number)[]): unknown {
  let cur = v;
  for (const key of path) {
    if (typeof key === 'number') cur = Array.isArray(cur) ? cur[key] : undefined;
    else cur = isObj(cur) ? cur[key] : undefined;
  }
  return cur;
}

interface Manifest {
  file: string;
  kind: string;
  name: string;
  doc: Obj;
}

function loadManifests(): Manifest[] {
  const files = readdirSync(K8S).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'));
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(join(K8S, file), 'utf8')).map((d, i) => {
      if (d.errors.length > 0) throw new Error(`${file} document ${i}: ${d.errors.map((e) => e.message).join('; ')}`);
      const doc: unknown = d.toJS();
      if (!isObj(doc)) throw new Error(`${file} document ${i} is not a mapping`);
      const kind = `${String(doc['apiVersion'])}/${String(doc['kind'])}`;
      return { file, kind, name: String(at(doc, 'metadata', 'name')), doc };
    }),
  );
}

function validators(): (kind: string) => ValidateFunction {
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addSchema(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')), 'k8s');
  return (kind) => {
    const def = KINDS[kind];
    if (def === undefined) throw new Error(`no schema for ${kind}; add it to KINDS and to scripts/gen-k8s-schemas.sh`);
    const validate = ajv.getSchema(`k8s#/definitions/${def}`);
    if (!validate) throw new Error(`the vendored schema has no definition ${def}`);
    return validate;
  };
}

const manifests = loadManifests();
const schemaFor = validators();
const find = (kind: string, name: string) => manifests.find((m) => m.kind === kind && m.name === name)?.doc;

describe('deploy/k8s', () => {
  it('has the objects a cluster needs', () => {
    expect(manifests.map((m) => `${m.kind} ${m.name}`).sort()).toEqual([
      'apps/v1/Deployment agentsocket-node',
      'apps/v1/Deployment agentsocket-redis',
      'networking.k8s.io/v1/Ingress agentsocket',
      'policy/v1/PodDisruptionBudget agentsocket-node',
      'v1/ConfigMap agentsocket-node',
      'v1/Service agentsocket-node',
      'v1/Service agentsocket-redis',
    ]);
  });

  for (const m of manifests) {
    it(`${m.file}: ${m.kind} ${m.name} matches the Kubernetes 1.30 schema (unknown fields are errors)`, () => {
      const validate = schemaFor(m.kind);
      const ok = validate(m.doc);
      expect(ok ? [] : validate.errors, `${m.file}`).toEqual([]);
      expect(m.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    });
  }

  it('catches a typo: the same Deployment with "replcas" or a numeric annotation fails', () => {
    const validate = schemaFor('apps/v1/Deployment');
    const deployment = find('apps/v1/Deployment', 'agentsocket-node');
    const spec = at(deployment, 'spec');
    expect(validate({ ...deployment, spec: { ...(isObj(spec) ? spec : {}), replcas: 3 } })).toBe(false);
    const ingress = find('networking.k8s.io/v1/Ingress', 'agentsocket');
    const metadata = at(ingress, 'metadata');
    const bad = { ...ingress, metadata: { ...(isObj(metadata) ? metadata : {}), annotations: { 'x/timeout': 3600 } } };
    expect(schemaFor('networking.k8s.io/v1/Ingress')(bad)).toBe(false);
  });

  it('wires the objects to each other: selectors, ports, config and probes', () => {
    const node = find('apps/v1/Deployment', 'agentsocket-node');
    const podLabels = at(node, 'spec', 'template', 'metadata', 'labels');
    expect(at(node, 'spec', 'selector', 'matchLabels')).toEqual(podLabels);
    expect(at(node, 'spec', 'replicas')).toBe(3);
    const container = at(node, 'spec', 'template', 'spec', 'containers', 0);
    expect(at(container, 'resources', 'limits', 'memory')).toBeTypeOf('string');
    expect(at(container, 'resources', 'limits', 'cpu')).toBeTypeOf('string');
    expect(at(container, 'readinessProbe', 'httpGet', 'path')).toBe('/readyz');
    expect(at(container, 'livenessProbe', 'httpGet', 'path')).toBe('/healthz');
    expect(at(container, 'securityContext', 'capabilities', 'add')).toContain('SYS_RESOURCE');
    const portName = at(container, 'ports', 0, 'name');
    expect(at(container, 'readinessProbe', 'httpGet', 'port')).toBe(portName);

    const service = find('v1/Service', 'agentsocket-node');
    expect(at(service, 'spec', 'selector')).toEqual(podLabels);
    expect(at(service, 'spec', 'ports', 0, 'targetPort')).toBe(portName);
    expect(at(find('policy/v1/PodDisruptionBudget', 'agentsocket-node'), 'spec', 'selector', 'matchLabels')).toEqual(podLabels);

    const ingress = find('networking.k8s.io/v1/Ingress', 'agentsocket');
    const backend = at(ingress, 'spec', 'rules', 0, 'http', 'paths', 0, 'backend', 'service');
    expect(at(backend, 'name')).toBe(at(service, 'metadata', 'name'));
    expect(at(backend, 'port', 'name')).toBe(at(service, 'spec', 'ports', 0, 'name'));
    expect(at(ingress, 'metadata', 'annotations', 'nginx.ingress.kubernetes.io/affinity')).toBe('cookie');

    const configName = at(container, 'envFrom', 0, 'configMapRef', 'name');
    const config = find('v1/ConfigMap', String(configName));
    const redisService = find('v1/Service', 'agentsocket-redis');
    expect(at(config, 'data', 'REDIS_URL')).toBe(`redis://${String(at(redisService, 'metadata', 'name'))}:${String(at(redisService, 'spec', 'ports', 0, 'port'))}`);
    expect(at(config, 'data', 'PORT')).toBe(String(at(container, 'ports', 0, 'containerPort')));
    const redis = find('apps/v1/Deployment', 'agentsocket-redis');
    expect(at(redisService, 'spec', 'selector')).toEqual(at(redis, 'spec', 'template', 'metadata', 'labels'));
  });
});
