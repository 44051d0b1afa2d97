// deploy/k8s, checked offline: every YAML parses; kinds and apiVersions are the stable ones; selectors match
// labels; probes, ports and references resolve; the HPA scales the worker on aict_queue_depth; api locked
// down, worker able to run bubblewrap. With kustomize and kubernetes-validate installed, the built overlays
// are also validated against the Kubernetes JSON schemas (strict).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '@app/common';
import { ROOT, configKeys, read, tool, walk } from './delivery-helpers';

type Obj = Record<string, any>;
interface Doc {
  file: string;
  body: Obj;
}

const K8S = 'deploy/k8s';
const files = walk(K8S).filter((f) => /\.ya?ml$/.test(f));
const docs: Doc[] = files.flatMap((file) =>
  parseAllDocuments(read(file)).map((doc) => {
    if (doc.errors.length) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return { file, body: doc.toJS() as Obj };
  }),
);
const kustomizations = docs.filter((d) => d.body?.kind === 'Kustomization');
const baseKustomization = kustomizations.find((d) => d.file === `${K8S}/base/kustomization.yaml`)!;
const baseResources = (baseKustomization.body.resources as string[]).map((r) => `${K8S}/base/${r}`);
const base = docs.filter((d) => baseResources.includes(d.file));
const find = (kind: string, name: string) => {
  const found = base.find((d) => d.body.kind === kind && d.body.metadata?.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the base`);
  return found.body;
};
const deployments = base.filter((d) => d.body.kind === 'Deployment').map((d) => d.body);
const api = find('Deployment', 'aict-api');
const worker = find('Deployment', 'aict-worker');
const container = (deployment: Obj) => deployment.spec.template.spec.containers[0] as Obj;
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);

const API_VERSIONS: Record<string, string> = {
  Deployment: 'apps/v1',
  Service: 'v1',
  ConfigMap: 'v1',
  Secret: 'v1',
  ServiceAccount: 'v1',
  Namespace: 'v1',
  PodDisruptionBudget: 'policy/v1',
  HorizontalPodAutoscaler: 'autoscaling/v2',
  Ingress: 'networking.k8s.io/v1',
  NetworkPolicy: 'networking.k8s.io/v1',
  Kustomization: 'kustomize.config.k8s.io/v1beta1',
};

describe('kubernetes: manifests', () => {
  it('parses every YAML file, and every manifest has a known kind, its stable apiVersion and a name', () => {
    expect(files.length).toBeGreaterThanOrEqual(15);
    for (const { file, body } of docs) {
      if (file.endsWith('prometheus-adapter-values.yaml')) continue; // Helm values, not a manifest
      expect(Object.keys(API_VERSIONS), `${file}: kind ${body.kind}`).toContain(body.kind);
      expect(body.apiVersion, `${file}: ${body.kind}`).toBe(API_VERSIONS[body.kind]);
      if (body.kind !== 'Kustomization') expect(body.metadata?.name, file).toBeTruthy();
    }
  });

  it('lists only files that exist in the kustomizations, and patches only resources of the base', () => {
    for (const { file, body } of kustomizations) {
      const dir = dirname(file);
      for (const resource of body.resources ?? []) expect(existsSync(join(ROOT, dir, resource)), `${file}: ${resource}`).toBe(true);
      for (const patch of body.patches ?? []) {
        const path = posix.join(dir, patch.path);
        expect(existsSync(join(ROOT, path)), `${file}: ${patch.path}`).toBe(true);
        const target = docs.find((d) => d.file === path)!.body;
        expect(
          base.some((d) => d.body.kind === target.kind && d.body.metadata.name === target.metadata.name),
          `${path} patches ${target.kind} ${target.metadata.name}`,
        ).toBe(true);
      }
    }
    // Every manifest file of the base is listed, except the Secret example (created out of band).
    const unlisted = files.filter((f) => f.startsWith(`${K8S}/base/`) && !f.endsWith('kustomization.yaml') && !baseResources.includes(f));
    expect(unlisted).toEqual([`${K8S}/base/secret.example.yaml`]);
  });

  it('runs one image as api and worker Deployments, selected by their own labels', () => {
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['aict-api', 'aict-worker']);
    const images = new Set(deployments.map((d) => container(d).image));
    expect(images).toEqual(new Set(['ai-coding-team']));
    expect(container(api).args).toEqual(['--role', 'api']);
    expect(container(worker).args).toEqual(['--role', 'worker']);
    for (const d of deployments) {
      expect(matches(d.spec.selector.matchLabels, d.spec.template.metadata.labels), d.metadata.name).toBe(true);
      expect(Object.keys(d.spec.selector.matchLabels)).toContain('app.kubernetes.io/component');
    }
    expect(matches(api.spec.selector.matchLabels, worker.spec.template.metadata.labels)).toBe(false);
    expect(matches(worker.spec.selector.matchLabels, api.spec.template.metadata.labels)).toBe(false);
  });

  it('probes /api/health/live (liveness, startup) and /api/health/ready (readiness) on a declared port', () => {
    for (const d of deployments) {
      const c = container(d);
      const ports = (c.ports as Obj[]).flatMap((p) => [p.name, p.containerPort]);
      expect(c.livenessProbe.httpGet.path).toBe('/api/health/live');
      expect(c.startupProbe.httpGet.path).toBe('/api/health/live');
      expect(c.readinessProbe.httpGet.path).toBe('/api/health/ready');
      for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) expect(ports).toContain(probe.httpGet.port);
      expect(c.resources.requests.cpu, d.metadata.name).toBeDefined();
      expect(c.resources.requests.memory, d.metadata.name).toBeDefined();
      expect(c.resources.limits.memory, d.metadata.name).toBeDefined();
    }
    expect(read('apps/server/src/health.controller.ts')).toMatch(/@Controller\('api\/health'\)[\s\S]*@Get\('live'\)[\s\S]*@Get\('ready'\)/);
  });

  it('reads the ConfigMap of the base and the Secret aict-secrets, with keys the service knows', () => {
    const keys = configKeys();
    const config = find('ConfigMap', 'aict-config');
    for (const key of Object.keys(config.data)) expect([...keys], `ConfigMap key ${key}`).toContain(key);
    expect(config.data.HOST).toBe('0.0.0.0');
    expect(config.data.DATA_DIR).toBe('/data');
    const secret = docs.find((d) => d.file.endsWith('secret.example.yaml'))!.body;
    for (const key of Object.keys(secret.stringData)) expect([...keys], `Secret key ${key}`).toContain(key);
    for (const key of ['DATABASE_URL', 'ANTHROPIC_API_KEY', 'AUTH_BOOTSTRAP_TOKEN', 'TRUTHPACK_SIGNING_KEY'])
      expect(Object.keys(secret.stringData)).toContain(key);
    // The example's signing key is a placeholder that stops start-up, never a usable (weak) key.
    expect(() => loadConfig({ TRUTHPACK_SIGNING_KEY: secret.stringData.TRUTHPACK_SIGNING_KEY })).toThrow(
      /TRUTHPACK_SIGNING_KEY: must be 64 hex/,
    );
    for (const d of deployments) {
      const refs = (container(d).envFrom as Obj[]).map((e) => e.configMapRef?.name ?? e.secretRef?.name);
      expect(refs.sort()).toEqual(['aict-config', secret.metadata.name]);
    }
    const overlayConfig = docs.find((d) => d.file === `${K8S}/overlays/production/config-patch.yaml`)!.body;
    for (const key of Object.keys(overlayConfig.data)) expect([...keys], `overlay ConfigMap key ${key}`).toContain(key);
  });

  it('gives workers a grace period longer than WORKER_DRAIN_TIMEOUT_MS', () => {
    const drainMs = Number(find('ConfigMap', 'aict-config').data.WORKER_DRAIN_TIMEOUT_MS);
    expect(worker.spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(drainMs + 10_000);
  });

  it('exposes the api through a Service and an SSE-friendly ingress-nginx Ingress', () => {
    const service = find('Service', 'aict-api');
    expect(matches(service.spec.selector, api.spec.template.metadata.labels)).toBe(true);
    expect(matches(service.spec.selector, worker.spec.template.metadata.labels)).toBe(false);
    const apiPorts = (container(api).ports as Obj[]).map((p) => p.name);
    for (const port of service.spec.ports) expect(apiPorts).toContain(port.targetPort);
    const ingress = find('Ingress', 'aict');
    expect(ingress.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
      'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
      'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
    });
    for (const rule of ingress.spec.rules) {
      for (const path of rule.http.paths) {
        expect(path.backend.service.name).toBe(service.metadata.name);
        expect(service.spec.ports.map((p: Obj) => p.name)).toContain(path.backend.service.port.name);
      }
    }
  });

  it('has a PodDisruptionBudget for each Deployment, each selecting exactly that one', () => {
    const pdbs = base.filter((d) => d.body.kind === 'PodDisruptionBudget').map((d) => d.body);
    expect(pdbs).toHaveLength(2);
    for (const pdb of pdbs) {
      const selected = deployments.filter((d) => matches(pdb.spec.selector.matchLabels, d.spec.template.metadata.labels));
      expect(
        selected.map((d) => d.metadata.name),
        pdb.metadata.name,
      ).toEqual([pdb.metadata.name]);
    }
  });

  it('scales the worker Deployment on the external metric aict_queue_depth served by prometheus-adapter', () => {
    const hpa = find('HorizontalPodAutoscaler', 'aict-worker');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'aict-worker' });
    const metric = hpa.spec.metrics.find((m: Obj) => m.type === 'External');
    expect(metric.external.metric.name).toBe('aict_queue_depth');
    expect(metric.external.target.type).toBe('AverageValue');
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(1);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
    const adapter = docs.find((d) => d.file.endsWith('prometheus-adapter-values.yaml'))!.body;
    const rule = adapter.rules.external.find((r: Obj) => r.name.as === 'aict_queue_depth');
    expect(rule.seriesQuery).toContain('aict_queue_depth');
    expect(read('libs/metrics/src/metrics.service.ts')).toContain("name: 'aict_queue_depth'");
    expect(find('HorizontalPodAutoscaler', 'aict-api').spec.scaleTargetRef.name).toBe('aict-api');
  });

  it('locks the api down: non-root, read-only root file system, no privilege escalation, every capability dropped', () => {
    const pod = api.spec.template.spec;
    const sc = container(api).securityContext;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(pod.securityContext.seccompProfile.type).toBe('RuntimeDefault');
    expect(sc).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    const mounts = (container(api).volumeMounts as Obj[]).map((m) => m.mountPath);
    expect(mounts).toEqual(expect.arrayContaining(['/data', '/tmp']));
  });

  it('lets bubblewrap work in the worker: root with SYS_ADMIN, unconfined seccomp and AppArmor, in a privileged-level namespace', () => {
    const sc = container(worker).securityContext;
    expect(sc.runAsUser).toBe(0);
    expect(sc.capabilities.drop).toEqual(['ALL']);
    expect(sc.capabilities.add).toEqual(expect.arrayContaining(['SYS_ADMIN', 'SYS_CHROOT', 'NET_ADMIN', 'SETUID', 'SETGID', 'SETPCAP']));
    expect(sc.allowPrivilegeEscalation).toBe(true); // refused together with SYS_ADMIN otherwise
    expect(sc.privileged).toBe(false);
    expect(sc.seccompProfile.type).toBe('Unconfined');
    expect(sc.appArmorProfile.type).toBe('Unconfined');
    expect(find('ConfigMap', 'aict-config').data.SANDBOX).toBe('bwrap');
    const namespace = docs.find((d) => d.body.kind === 'Namespace')!.body;
    expect(namespace.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
  });

  it('pins the image in the production overlay (the base image name, a version tag or digest, never latest)', () => {
    const overlay = kustomizations.find((d) => d.file === `${K8S}/overlays/production/kustomization.yaml`)!.body;
    expect(overlay.namespace).toBe(docs.find((d) => d.body.kind === 'Namespace')!.body.metadata.name);
    const [image] = overlay.images;
    expect(image.name).toBe('ai-coding-team');
    expect(image.digest ?? image.newTag).toBeTruthy();
    expect(image.newTag).not.toBe('latest');
  });

  it(
    'passes a strict schema check of the built base and overlay when kustomize and kubernetes-validate are installed',
    { timeout: 120_000 },
    (ctx) => {
      const kustomize = tool('kustomize') ?? tool('kubectl');
      const validate = tool('kubernetes-validate');
      if (!kustomize || !validate) ctx.skip();
      const dir = mkdtempSync(join(tmpdir(), 'aict-k8s-'));
      try {
        for (const target of [`${K8S}/base`, `${K8S}/overlays/production`]) {
          const args = kustomize!.endsWith('kubectl') ? ['kustomize', target] : ['build', target];
          const built = spawnSync(kustomize!, args, { cwd: ROOT, encoding: 'utf8' });
          expect(built.stderr).toBe('');
          expect(built.status).toBe(0);
          const file = join(dir, `${target.replace(/\W+/g, '-')}.yaml`);
          writeFileSync(file, built.stdout);
          const run = spawnSync(validate!, ['--strict', '--quiet', '-k', '1.30.0', file], { encoding: 'utf8' });
          expect(run.stdout + run.stderr, target).toBe('');
          expect(run.status).toBe(0);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
