import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { repoRoot } from '../../src/config.js';

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

  it('the backup script is valid bash and the nginx config enforces modern TLS and never logs query strings', () => {
    expect(spawnSync('bash', ['-n', path.join(infra, 'backup/backup.sh')]).status).toBe(0);
    const nginx = fs.readFileSync(path.join(infra, 'nginx/samverka.conf'), 'utf8');
    expect(nginx).toMatch(/ssl_protocols TLSv1\.2 TLSv1\.3;/);
    expect(nginx).toContain('Strict-Transport-Security');
    expect(nginx).not.toMatch(/\$request_uri|\$args|\$query_string/);
  });
});
