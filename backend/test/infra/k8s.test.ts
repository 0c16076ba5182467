import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { loadConfig, repoRoot } from '../../src/config.js';
import { APP_ROLE, SEQUENCER_ROLE } from '../../src/db/grants.js';
import { createTestApp, type TestContext } from '../helpers/app.js';

// No Kubernetes cluster here: check that the manifests parse, refer to each other consistently
// and match the application's own names (as infra.test.ts does for compose).
const k8s = path.join(repoRoot, 'infra/k8s');

type Obj = Record<string, unknown>;
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Obj;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } };
}
interface Probe {
  httpGet: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    privileged?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
    runAsNonRoot?: boolean;
    runAsUser?: number;
  };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface PodSpec {
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  containers: Container[];
  volumes?: { name: string; secret?: { secretName: string; items?: { key: string }[] }; configMap?: { name: string } }[];
}
interface Deployment extends Manifest {
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
}
interface Service extends Manifest {
  spec: { selector: Record<string, string>; ports: { name: string; port: number; targetPort: string | number }[] };
}
interface Peer {
  podSelector?: { matchLabels?: Record<string, string> };
  namespaceSelector?: { matchLabels?: Record<string, string> };
  ipBlock?: { cidr: string };
}
interface Rule {
  from?: Peer[];
  to?: Peer[];
  ports?: { port: number; protocol?: string }[];
}
interface NetworkPolicy extends Manifest {
  spec: { podSelector: { matchLabels?: Record<string, string> }; policyTypes: string[]; ingress?: Rule[]; egress?: Rule[] };
}

function parseFile(file: string): Manifest[] {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'));
  for (const d of docs) expect(d.errors, `${file}: ${d.errors.map((e) => e.message).join('; ')}`).toEqual([]);
  return docs.map((d) => d.toJS() as Manifest).filter(Boolean);
}

const kustomization = YAML.parse(fs.readFileSync(path.join(k8s, 'kustomization.yaml'), 'utf8')) as {
  namespace: string;
  resources: string[];
  images: { name: string; newName: string }[];
  secretGenerator: { name: string; type?: string; files?: string[]; envs?: string[] }[];
};
const all: Manifest[] = kustomization.resources.flatMap((r) => parseFile(path.join(k8s, r)));
const ofKind = <T extends Manifest>(kind: string): T[] => all.filter((m) => m.kind === kind) as T[];
const one = <T extends Manifest>(kind: string, name: string): T => {
  const found = all.filter((m) => m.kind === kind && m.metadata.name === name);
  expect(found, `${kind}/${name}`).toHaveLength(1);
  return found[0] as T;
};
const deployments = ofKind<Deployment>('Deployment');
const api = one<Deployment>('Deployment', 'samverka-api');
const web = one<Deployment>('Deployment', 'samverka-web');
const db = one<Manifest>('Cluster', 'samverka-db');
const dbSpec = db.spec as {
  instances: number;
  postgresql: { synchronous: { method: string; number: number; dataDurability: string } };
  bootstrap: { initdb: { database: string; owner: string; secret: { name: string } } };
  managed: { roles: { name: string; login: boolean; inRoles?: string[]; passwordSecret?: { name: string } }[] };
  plugins: { name: string; isWALArchiver?: boolean; parameters: { barmanObjectName: string } }[];
};
const pitr = parseFile(path.join(k8s, 'restore/cluster-pitr.yaml'));

/** The pods a selector can pick: the Deployments' templates and CloudNativePG's instance pods. */
const podLabelSets: Record<string, string>[] = [
  ...deployments.map((d) => d.spec.template.metadata.labels),
  ...ofKind('Cluster').map((c) => ({ 'cnpg.io/cluster': c.metadata.name })),
];
const selects = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);
const selected = (selector: Record<string, string>): Record<string, string>[] => podLabelSets.filter((l) => selects(selector, l));

/** Secret name → its keys, as kustomize generates them or CloudNativePG creates them. */
function secretKeys(): Map<string, Set<string>> {
  const readme = fs.readFileSync(path.join(k8s, 'secrets/README.md'), 'utf8');
  const keys = new Map<string, Set<string>>();
  for (const g of kustomization.secretGenerator) {
    const k = new Set<string>();
    if (g.type === 'kubernetes.io/basic-auth') ['username', 'password'].forEach((x) => k.add(x));
    for (const f of g.files ?? []) k.add(f.includes('=') ? f.split('=')[0]! : path.basename(f));
    if (g.envs && g.type !== 'kubernetes.io/basic-auth') {
      const row = readme.split('\n').find((l) => l.includes(`\`${g.name}\``))!;
      for (const m of row.matchAll(/`([A-Z_]+)=/g)) k.add(m[1]!);
    }
    keys.set(g.name, k);
  }
  // CloudNativePG creates <cluster>-ca (ca.crt signs its server certificates).
  keys.set(`${db.metadata.name}-ca`, new Set(['ca.crt', 'ca.key']));
  return keys;
}

describe('Kubernetes manifests (infra/k8s)', () => {
  it('every file parses, every object is named, and the kustomization lists only files that exist', () => {
    expect(all.length).toBeGreaterThan(10);
    for (const m of [...all, ...pitr]) {
      expect(typeof m.apiVersion).toBe('string');
      expect(typeof m.kind).toBe('string');
      expect(m.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
    const names = all.map((m) => `${m.kind}/${m.metadata.name}`);
    expect(new Set(names).size).toBe(names.length);
    expect(one('Namespace', kustomization.namespace)).toBeTruthy();
    for (const d of deployments)
      for (const c of d.spec.template.spec.containers) expect(kustomization.images.map((i) => i.name)).toContain(c.image);
  });

  it('selectors meet labels: Deployments, Services, PodDisruptionBudgets, NetworkPolicies', () => {
    for (const d of deployments) expect(selects(d.spec.selector.matchLabels, d.spec.template.metadata.labels)).toBe(true);
    for (const s of ofKind<Service>('Service')) {
      const targets = deployments.filter((d) => selects(s.spec.selector, d.spec.template.metadata.labels));
      expect(targets, `Service ${s.metadata.name}`).toHaveLength(1);
      const ports = targets[0]!.spec.template.spec.containers.flatMap((c) => c.ports ?? []);
      for (const p of s.spec.ports) {
        const match = ports.find((cp) => (typeof p.targetPort === 'number' ? cp.containerPort === p.targetPort : cp.name === p.targetPort));
        expect(match, `Service ${s.metadata.name} port ${p.name}`).toBeDefined();
        expect(match!.containerPort).toBe(p.port);
      }
    }
    const pdbs = ofKind<Manifest & { spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } } }>(
      'PodDisruptionBudget',
    );
    for (const d of deployments) {
      const pdb = pdbs.find((p) => selects(p.spec.selector.matchLabels, d.spec.template.metadata.labels));
      expect(pdb, `PodDisruptionBudget for ${d.metadata.name}`).toBeDefined();
      expect(pdb!.spec.minAvailable).toBeLessThan(d.spec.replicas);
    }
    for (const np of ofKind<NetworkPolicy>('NetworkPolicy')) {
      const sel = np.spec.podSelector.matchLabels ?? {};
      expect(selected(sel).length, `NetworkPolicy ${np.metadata.name} selects pods`).toBeGreaterThan(0);
      for (const r of [...(np.spec.ingress ?? []), ...(np.spec.egress ?? [])]) {
        for (const peer of [...(r.from ?? []), ...(r.to ?? [])]) {
          if (peer.podSelector && !peer.namespaceSelector) expect(selected(peer.podSelector.matchLabels ?? {}).length).toBeGreaterThan(0);
        }
      }
    }
    const ingress = one<
      Manifest & {
        spec: { rules: { http: { paths: { path: string; backend: { service: { name: string; port: { name: string } } } }[] } }[] };
      }
    >('Ingress', 'samverka');
    const backends = ingress.spec.rules.flatMap((r) => r.http.paths);
    expect(backends.map((b) => [b.path, b.backend.service.name])).toEqual([
      ['/api/', 'samverka-api'],
      ['/', 'samverka-web'],
    ]);
    for (const b of backends) {
      expect(one<Service>('Service', b.backend.service.name).spec.ports.map((p) => p.name)).toContain(b.backend.service.port.name);
    }
  });

  it('every Secret referenced exists with the key asked for; KEYS_DIR holds every key file the API loads', () => {
    const keys = secretKeys();
    const refs: [string, string | null][] = [];
    for (const d of deployments) {
      const pod = d.spec.template.spec;
      for (const v of pod.volumes ?? [])
        if (v.secret) for (const i of v.secret.items ?? [{ key: null }]) refs.push([v.secret.secretName, i.key]);
      for (const c of pod.containers)
        for (const e of c.env ?? [])
          if (e.valueFrom?.secretKeyRef) refs.push([e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key]);
      expect(pod.volumes?.some((v) => v.configMap)).toBeFalsy();
    }
    refs.push([dbSpec.bootstrap.initdb.secret.name, 'password']);
    for (const r of dbSpec.managed.roles) if (r.passwordSecret) refs.push([r.passwordSecret.name, 'password']);
    const store = one<Manifest & { spec: { configuration: { s3Credentials: Record<string, { name: string; key: string }> } } }>(
      'ObjectStore',
      dbSpec.plugins[0]!.parameters.barmanObjectName,
    );
    for (const c of Object.values(store.spec.configuration.s3Credentials)) refs.push([c.name, c.key]);
    for (const t of (one('Ingress', 'samverka').spec as { tls: { secretName: string }[] }).tls) refs.push([t.secretName, 'tls.crt']);
    expect(refs.length).toBeGreaterThan(8);
    for (const [name, key] of refs) {
      expect(keys.has(name), `Secret ${name}`).toBe(true);
      if (key) expect([...keys.get(name)!], `Secret ${name} key ${key}`).toContain(key);
    }

    // The file names loadKeys() reads, straight from its source.
    const keysTs = fs.readFileSync(path.join(repoRoot, 'backend/src/lib/keys.ts'), 'utf8');
    const loaded = [...keysTs.matchAll(/path\.join\(dir, '([^']+)'\)/g)].map((m) => m[1]!).sort();
    expect(loaded.length).toBeGreaterThanOrEqual(4);
    expect([...keys.get('samverka-keys')!].sort()).toEqual(loaded);
    const container = api.spec.template.spec.containers[0]!;
    const keysDir = container.env!.find((e) => e.name === 'KEYS_DIR')!.value!;
    const mount = container.volumeMounts!.find((m) => m.mountPath === keysDir)!;
    expect(mount.readOnly).toBe(true);
    expect(api.spec.template.spec.volumes!.find((v) => v.name === mount.name)!.secret!.secretName).toBe('samverka-keys');
  });

  it("the API's environment is the application's configuration, accepted in production, and names the database's own roles", () => {
    const container = api.spec.template.spec.containers[0]!;
    const env = container.env!;
    // Helpers: secret values placed into others as $(NAME), as Kubernetes expands them.
    const placeholder = (e: EnvVar): string => (e.valueFrom?.secretKeyRef ? '0123456789abcdef' : e.value!);
    const resolved: Record<string, string> = {};
    for (const e of env) {
      resolved[e.name] = placeholder(e).replace(/\$\(([A-Z_]+)\)/g, (_, n: string) => {
        expect(resolved[n], `${e.name} refers to ${n}, defined before it`).toBeDefined();
        return resolved[n]!;
      });
    }
    const referenced = new Set(env.flatMap((e) => [...(e.value ?? '').matchAll(/\$\(([A-Z_]+)\)/g)].map((m) => m[1]!)));
    const config = loadConfig(resolved);
    for (const e of env) {
      if (referenced.has(e.name)) expect(e.valueFrom?.secretKeyRef, `${e.name} is a secret placed into another variable`).toBeDefined();
      else expect(Object.keys(config), `${e.name} is a configuration name (backend/src/config.ts)`).toContain(e.name);
    }
    expect(config.NODE_ENV).toBe('production');
    expect(config.PORT).toBe(container.ports!.find((p) => p.name === 'http')!.containerPort);
    expect(config.METRICS_PORT).toBe(container.ports!.find((p) => p.name === 'metrics')!.containerPort);

    // Every URL reaches the primary of the Cluster, its database, as a role the Cluster creates.
    const logins = new Map(dbSpec.managed.roles.filter((r) => r.login).map((r) => [r.name, r]));
    const nologin = dbSpec.managed.roles.filter((r) => !r.login).map((r) => r.name);
    // Every role a migration creates exists beforehand: the owner may not create roles.
    const migrations = path.join(repoRoot, 'backend/src/db/migrations');
    const created = fs
      .readdirSync(migrations)
      .flatMap((f) => [...fs.readFileSync(path.join(migrations, f), 'utf8').matchAll(/CREATE ROLE ([a-z_]+)/g)].map((m) => m[1]!));
    for (const role of new Set([APP_ROLE, SEQUENCER_ROLE, ...created])) expect(nologin, `managed role ${role}`).toContain(role);
    const urls = {
      DATABASE_URL: config.DATABASE_URL,
      MIGRATION_DATABASE_URL: config.MIGRATION_DATABASE_URL,
      AUDIT_SEQUENCER_DATABASE_URL: config.AUDIT_SEQUENCER_DATABASE_URL,
    };
    for (const [name, u] of Object.entries(urls)) {
      const url = new URL(u!);
      expect(url.hostname, name).toBe(`${db.metadata.name}-rw`);
      expect(url.pathname, name).toBe(`/${dbSpec.bootstrap.initdb.database}`);
      expect(url.searchParams.get('sslmode'), name).toBe('verify-full');
      const ca = url.searchParams.get('sslrootcert')!;
      expect(container.volumeMounts!.some((m) => ca.startsWith(`${m.mountPath}/`))).toBe(true);
    }
    expect(new URL(urls.MIGRATION_DATABASE_URL!).username).toBe(dbSpec.bootstrap.initdb.owner);
    expect(logins.get(new URL(urls.DATABASE_URL!).username)!.inRoles).toEqual([config.DB_ROLE]);
    expect(logins.get(new URL(urls.AUDIT_SEQUENCER_DATABASE_URL!).username)!.inRoles).toEqual([config.AUDIT_SEQUENCER_DB_ROLE]);
    expect(config.DB_ROLE).toBe(APP_ROLE);
    expect(config.AUDIT_SEQUENCER_DB_ROLE).toBe(SEQUENCER_ROLE);
    // The secrets' user names (secrets/README.md) are the roles the URLs sign in as.
    const readme = fs.readFileSync(path.join(k8s, 'secrets/README.md'), 'utf8');
    for (const [secret, user] of [
      [dbSpec.bootstrap.initdb.secret.name, dbSpec.bootstrap.initdb.owner],
      ...[...logins.values()].map((r) => [r.passwordSecret!.name, r.name]),
    ]) {
      expect(readme.split('\n').find((l) => l.includes(`\`${secret}\``))).toContain(`username=${user}\``);
    }
  });

  it("the web app's environment is the one compose gives it, and it reaches the API's Service", () => {
    const compose = YAML.parse(fs.readFileSync(path.join(repoRoot, 'infra/compose.yaml'), 'utf8')) as {
      services: { web: { environment: Record<string, string>; command: string[] } };
    };
    const c = web.spec.template.spec.containers[0]!;
    expect(c.command).toEqual(compose.services.web.command);
    const env = Object.fromEntries(c.env!.map((e) => [e.name, e.value!]));
    expect(Object.keys(env).sort()).toEqual(Object.keys(compose.services.web.environment).sort());
    const apiUrl = new URL(env.API_URL!);
    const svc = one<Service>('Service', apiUrl.hostname);
    expect(svc.spec.ports.map((p) => p.port)).toContain(Number(apiUrl.port));
    expect(env.ORIGIN).toBe(api.spec.template.spec.containers[0]!.env!.find((e) => e.name === 'ORIGIN')!.value);
  });

  it('pods run non-root on a read-only root, without privilege escalation or capabilities, within resource limits', () => {
    expect(api.spec.replicas).toBeGreaterThanOrEqual(2);
    for (const d of deployments) {
      const pod = d.spec.template.spec;
      expect(pod.securityContext?.runAsNonRoot, d.metadata.name).toBe(true);
      expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
      for (const c of pod.containers) {
        expect(c.securityContext, `${d.metadata.name}/${c.name}`).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(c.securityContext!.privileged).not.toBe(true);
        expect(c.securityContext!.capabilities!.add).toBeUndefined();
        for (const r of ['cpu', 'memory']) {
          expect(c.resources?.requests?.[r], `${c.name} requests ${r}`).toBeDefined();
          expect(c.resources?.limits?.[r], `${c.name} limits ${r}`).toBeDefined();
        }
        expect(c.readinessProbe && c.livenessProbe, `${c.name} probes`).toBeTruthy();
      }
    }
    // The API runs the image's own command: the compiled backend, no TypeScript loader.
    const c = api.spec.template.spec.containers[0]!;
    expect(c.command).toBeUndefined();
    expect(c.args).toBeUndefined();
    const cmd = /^CMD (\[.*\])$/m.exec(fs.readFileSync(path.join(repoRoot, 'infra/docker/Dockerfile'), 'utf8'))!;
    const argv = JSON.parse(cmd[1]!) as string[];
    expect(argv[0]).toBe('node');
    expect(argv.at(-1)).toBe('backend/dist/server.js');
    expect(argv).not.toContain('tsx');
  });

  it('CloudNativePG: three instances, synchronous commit, WAL archiving and nightly base backups through the Barman Cloud plugin', () => {
    expect(dbSpec.instances).toBe(3);
    expect(dbSpec.postgresql.synchronous.number).toBeGreaterThanOrEqual(1);
    expect(dbSpec.postgresql.synchronous.dataDurability).toBe('required');
    const archiver = dbSpec.plugins.filter((p) => p.isWALArchiver);
    expect(archiver).toHaveLength(1);
    expect(archiver[0]!.name).toBe('barman-cloud.cloudnative-pg.io');
    const store = one<Manifest & { spec: { retentionPolicy: string; configuration: { destinationPath: string } } }>(
      'ObjectStore',
      archiver[0]!.parameters.barmanObjectName,
    );
    expect(store.apiVersion).toBe('barmancloud.cnpg.io/v1');
    expect(store.spec.configuration.destinationPath).toMatch(/^s3:\/\//);
    // Physical backups are kept as long as the logical dumps of infra/backup/backup.sh.
    const backupSh = fs.readFileSync(path.join(repoRoot, 'infra/backup/backup.sh'), 'utf8');
    expect(store.spec.retentionPolicy).toBe(`${/RETENTION_DAYS:-(\d+)/.exec(backupSh)![1]}d`);
    const scheduled = ofKind<
      Manifest & { spec: { schedule: string; cluster: { name: string }; method: string; pluginConfiguration: { name: string } } }
    >('ScheduledBackup');
    expect(scheduled).toHaveLength(1);
    expect(scheduled[0]!.spec).toMatchObject({
      cluster: { name: db.metadata.name },
      method: 'plugin',
      pluginConfiguration: { name: archiver[0]!.name },
    });
    // CloudNativePG's cron has six fields, seconds first.
    expect(scheduled[0]!.spec.schedule.split(' ')).toHaveLength(6);

    // The recovery example restores from that store into a new cluster, to a point in time.
    const restored = pitr.find((m) => m.kind === 'Cluster')!.spec as {
      bootstrap: { recovery: { source: string; recoveryTarget: { targetTime: string } } };
      externalClusters: { name: string; plugin: { parameters: { barmanObjectName: string; serverName: string } } }[];
      plugins: { parameters: { serverName: string } }[];
    };
    const source = restored.externalClusters.find((e) => e.name === restored.bootstrap.recovery.source)!;
    expect(source.plugin.parameters).toEqual({ barmanObjectName: store.metadata.name, serverName: db.metadata.name });
    expect(restored.plugins[0]!.parameters.serverName).not.toBe(db.metadata.name);
    expect(Number.isNaN(Date.parse(restored.bootstrap.recovery.recoveryTarget.targetTime))).toBe(false);
  });

  it('network policies: default deny; only the web app and the gateway reach the API; only the API reaches PostgreSQL', () => {
    const policies = ofKind<NetworkPolicy>('NetworkPolicy');
    const deny = policies.find((p) => Object.keys(p.spec.podSelector.matchLabels ?? {}).length === 0 && !p.spec.ingress && !p.spec.egress)!;
    expect(deny.spec.policyTypes.sort()).toEqual(['Egress', 'Ingress']);
    const describePeer = (p: Peer): string =>
      [
        p.namespaceSelector ? `ns:${p.namespaceSelector.matchLabels!['kubernetes.io/metadata.name']}` : '',
        p.podSelector
          ? `pod:${Object.entries(p.podSelector.matchLabels ?? {})
              .map(([k, v]) => `${k}=${v}`)
              .join(',')}`
          : '',
        p.ipBlock ? `ip:${p.ipBlock.cidr}` : '',
      ]
        .filter(Boolean)
        .join('/');
    /** Every peer that may open a connection to the pods with these labels, with its ports. */
    const ingressTo = (labels: Record<string, string>): string[] =>
      policies
        .filter((p) => selects(p.spec.podSelector.matchLabels ?? {}, labels))
        .flatMap((p) =>
          (p.spec.ingress ?? []).flatMap((r) =>
            (r.from ?? []).map((f) => `${describePeer(f)}:${(r.ports ?? []).map((x) => x.port).join(',')}`),
          ),
        )
        .sort();
    const apiPort = 3000;
    expect(ingressTo(api.spec.template.metadata.labels)).toEqual(
      [
        `pod:app.kubernetes.io/name=samverka-web:${apiPort}`,
        `ns:ingress-nginx/pod:app.kubernetes.io/name=ingress-nginx:${apiPort}`,
        'ns:monitoring/pod:app.kubernetes.io/name=prometheus:9464',
      ].sort(),
    );
    expect(ingressTo(web.spec.template.metadata.labels)).toEqual(['ns:ingress-nginx/pod:app.kubernetes.io/name=ingress-nginx:5173']);
    expect(ingressTo({ 'cnpg.io/cluster': db.metadata.name })).toEqual(
      [
        'pod:app.kubernetes.io/name=samverka-api:5432',
        'pod:cnpg.io/cluster=samverka-db:5432',
        'ns:cnpg-system/pod:app.kubernetes.io/name=cloudnative-pg:8000,5432',
      ].sort(),
    );
    // The web app's pods may connect to nothing but the API (and DNS).
    const webEgress = policies
      .filter((p) => selects(p.spec.podSelector.matchLabels ?? {}, web.spec.template.metadata.labels))
      .flatMap((p) => (p.spec.egress ?? []).flatMap((r) => (r.to ?? []).map(describePeer)));
    expect(webEgress.sort()).toEqual(['ns:kube-system/pod:k8s-app=kube-dns', 'pod:app.kubernetes.io/name=samverka-api']);
  });
});

describe('the probes name real API routes', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestApp({}, { seed: false });
  });
  afterAll(async () => t.close());

  it('readiness and liveness paths answer 200 on the API, and the web probe is a page of the web app', async () => {
    const c = api.spec.template.spec.containers[0]!;
    expect(c.readinessProbe!.httpGet.path).toBe('/api/ready');
    expect(c.livenessProbe!.httpGet.path).toBe('/api/health');
    for (const p of [c.readinessProbe!, c.livenessProbe!, c.startupProbe!]) {
      expect(c.ports!.map((x) => x.name)).toContain(p.httpGet.port);
      expect((await t.app.inject({ method: 'GET', url: p.httpGet.path })).statusCode).toBe(200);
    }
    // A page of the web app: a +page.svelte whose route, without its (group) folders, is the path.
    const routes = path.join(repoRoot, 'frontend/src/routes');
    const pages = (fs.readdirSync(routes, { recursive: true }) as string[])
      .filter((f) => path.basename(f) === '+page.svelte')
      .map(
        (f) =>
          `/${path
            .dirname(f)
            .split(path.sep)
            .filter((s) => s !== '.' && !/^\(.*\)$/.test(s))
            .join('/')}`,
      );
    const w = web.spec.template.spec.containers[0]!;
    for (const p of [w.readinessProbe!, w.livenessProbe!]) expect(pages).toContain(p.httpGet.path);
  });
});
