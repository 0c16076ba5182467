import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { loadConfig, repoRoot } from '../../src/config.js';
import { createTestApp, type TestContext } from '../helpers/app.js';

// No container engine runs here: check what can be checked without one.
const infra = path.join(repoRoot, 'infra');

describe('infra files', () => {
  it('compose.yaml parses and builds from the Dockerfile that exists', () => {
    const compose = YAML.parse(fs.readFileSync(path.join(infra, 'compose.yaml'), 'utf8')) as {
      services: Record<string, { build?: { dockerfile: string }; environment?: Record<string, string> }>;
    };
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'db', 'proxy', 'web']);
    for (const s of ['api', 'web']) {
      expect(fs.existsSync(path.join(repoRoot, compose.services[s]!.build!.dockerfile))).toBe(true);
    }
    expect(compose.services.api!.environment!.NODE_ENV).toBe('production');
  });

  it('the image builds with Node 24 and runs the compiled API as a non-root user, with no TypeScript loader', () => {
    const dockerfile = fs.readFileSync(path.join(infra, 'docker/Dockerfile'), 'utf8');
    const stages = dockerfile.split(/^FROM /m).slice(1);
    expect(stages).toHaveLength(2);
    for (const s of stages) expect(s).toMatch(/^node:24-/);
    expect(stages[0]).toMatch(/^RUN npm run build && npm prune --omit=dev$/m);
    const runtime = stages[1]!;
    const user = /^USER (\S+)$/m.exec(runtime)?.[1];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    expect(runtime).toContain(`useradd --system --gid ${user}`);
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(runtime)![1]!) as string[];
    expect(cmd[0]).toBe('node');
    expect(cmd.at(-1)).toBe('backend/dist/server.js');
    expect(cmd.join(' ')).not.toMatch(/tsx|\.ts\b/);
    // What the command runs is what `npm run build` writes.
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'backend/package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.build).toContain('tsc -p tsconfig.build.json');
    const build = JSON.parse(fs.readFileSync(path.join(repoRoot, 'backend/tsconfig.build.json'), 'utf8')) as {
      compilerOptions: { outDir: string; rootDir: string };
    };
    expect(build.compilerOptions).toMatchObject({ outDir: 'dist', rootDir: 'src' });
  });

  it('the backup script is valid bash and the nginx config enforces modern TLS and never logs query strings', () => {
    expect(spawnSync('bash', ['-n', path.join(infra, 'backup/backup.sh')]).status).toBe(0);
    const nginx = fs.readFileSync(path.join(infra, 'nginx/samverka.conf'), 'utf8');
    expect(nginx).toMatch(/ssl_protocols TLSv1\.2 TLSv1\.3;/);
    expect(nginx).toContain('Strict-Transport-Security');
    expect(nginx).not.toMatch(/\$request_uri|\$args|\$query_string/);
  });
});

interface Service {
  environment?: Record<string, string>;
  networks?: Record<string, { ipv4_address?: string }> | string[];
}

describe("the browser's address reaches the API through nginx and the web app", () => {
  const compose = YAML.parse(fs.readFileSync(path.join(infra, 'compose.yaml'), 'utf8')) as {
    services: Record<string, Service>;
    networks: { internal: { ipam: { config: { subnet: string }[] } } };
  };
  const fixedAddress = (s: string): string =>
    (compose.services[s]!.networks as Record<string, { ipv4_address: string }>).internal!.ipv4_address;
  const trusted = compose.services.api!.environment!.TRUST_PROXY!;
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestApp({ TRUST_PROXY: trusted });
  });
  afterAll(async () => t.close());

  it('nginx replaces X-Forwarded-For with the address it saw, in every location', () => {
    const nginx = fs.readFileSync(path.join(infra, 'nginx/samverka.conf'), 'utf8');
    const locations = nginx.split(/\n\s*location /).slice(1);
    expect(locations).toHaveLength(4);
    for (const l of locations) {
      expect(l).toContain('proxy_set_header X-Forwarded-For $remote_addr;');
      expect(l).toContain('proxy_set_header X-Real-IP $remote_addr;');
    }
    const directives = nginx
      .split('\n')
      .filter((line) => !line.trim().startsWith('#'))
      .join('\n');
    expect(directives).not.toContain('$proxy_add_x_forwarded_for');
  });

  it('the web app reads the one hop in front of it and forwards the address; the API trusts exactly the web app and nginx', () => {
    expect(compose.services.web!.environment).toMatchObject({ ADDRESS_HEADER: 'X-Forwarded-For', XFF_DEPTH: '1' });
    expect(trusted.split(',').sort()).toEqual([fixedAddress('web'), fixedAddress('proxy')].sort());
    const subnet = compose.networks.internal.ipam.config[0]!.subnet;
    for (const a of trusted.split(',')) expect(a.split('.').slice(0, 3).join('.')).toBe(subnet.split('.').slice(0, 3).join('.'));
    expect(loadConfig({ TRUST_PROXY: trusted }).TRUST_PROXY).toBe(trusted);
    const frontend = path.join(repoRoot, 'frontend/src');
    expect(fs.readFileSync(path.join(frontend, 'hooks.server.ts'), 'utf8')).toContain('event.getClientAddress()');
    const server = fs
      .readdirSync(path.join(frontend, 'lib/server'))
      .map((f) => fs.readFileSync(path.join(frontend, 'lib/server', f), 'utf8'))
      .join('\n');
    expect(server).toMatch(/\['x-forwarded-for'\] = ctx\.clientAddress/);
  });

  it('an API configured as in compose audits the forwarded address from the web app, and ignores the header from anyone else', async () => {
    const signIn = (remoteAddress: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        remoteAddress,
        headers: { 'x-forwarded-for': '203.0.113.77' },
        payload: { username: 'social', password: 'wrong-password-9' },
      });
    const fromWeb = await signIn(fixedAddress('web'));
    const fromElsewhere = await signIn('172.30.0.99');
    const ipOf = async (res: { headers: Record<string, unknown> }) =>
      (await t.sql.query('SELECT client_ip FROM audit_queue WHERE request_id = $1', [res.headers['x-request-id']])).rows[0]
        .client_ip as string;
    expect(await ipOf(fromWeb)).toBe('203.0.113.77');
    expect(await ipOf(fromElsewhere)).toBe('172.30.0.99');
  });
});
