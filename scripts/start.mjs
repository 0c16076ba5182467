#!/usr/bin/env node
// Starts the whole product: the API (which starts an embedded PostgreSQL unless DATABASE_URL is
// set, applies migrations and, with DEMO=1, seeds demo data) and the web app.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = { ...process.env };
const host = env.HOST ?? '127.0.0.1';
const apiPort = Number(env.API_PORT ?? 3000);
const webPort = Number(env.WEB_PORT ?? 5173);
const publicUrl = env.ORIGIN ?? `http://${host === '0.0.0.0' ? 'localhost' : host}:${webPort}`;
const apiUrl = `http://127.0.0.1:${apiPort}`;
const nodeEnv = env.NODE_ENV ?? 'development';
// A checkout started with `npm start` is a demo unless told otherwise: the API seeds demo users and
// generates keys only when DEMO=1 is set, which is done here, explicitly.
const demo = ['1', 'true'].includes(env.DEMO ?? (nodeEnv === 'production' ? '0' : '1'));

function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

const frontend = path.join(root, 'frontend');
const buildMarker = path.join(frontend, 'build', 'index.js');
const sources = Math.max(newestMtime(path.join(frontend, 'src')), newestMtime(path.join(frontend, 'messages')));
if (!fs.existsSync(buildMarker) || fs.statSync(buildMarker).mtimeMs < sources) {
  console.log('Building the web app…');
  const r = spawnSync('npm', ['run', 'build', '-w', 'frontend'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) {
    console.error('The web app failed to build; see the messages above.');
    process.exit(1);
  }
}

const children = [];
let stopping = false;
function stop(code) {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  // The API drains in-flight requests before it exits (15 s at most): wait for it, not longer.
  setTimeout(() => process.exit(code), 20_000).unref();
  Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null))).then(() => process.exit(code));
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
process.on('SIGHUP', () => stop(0));

function run(name, args, cwd, extraEnv, stdio = ['ignore', 'inherit', 'inherit']) {
  // In a process group of its own: Ctrl+C reaches only this script, which stops the API with
  // SIGTERM so that it drains — the terminal's SIGINT would otherwise also reach the embedded
  // PostgreSQL (a child of the API) and stop it under in-flight requests.
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...env, ...extraEnv },
    stdio,
    detached: true,
  });
  child.on('exit', (code) => {
    if (!stopping) {
      console.error(`${name} stopped (exit code ${code}); stopping the rest.`);
      stop(code || 1);
    }
  });
  children.push(child);
  return child;
}

// The demo e-identification (backend/scripts/demo-eid.ts): a local OpenID provider of made-up
// people, so that the citizen pages can be tried. Only in a demo and only when no real provider
// is configured; it prints one JSON line (issuer, client, people) once it listens.
async function startDemoEid() {
  const child = run(
    'Demo e-identification',
    ['--import', 'tsx', 'scripts/demo-eid.ts'],
    path.join(root, 'backend'),
    {
      DEMO_EID_REDIRECT_URI: `${publicUrl}/citizen/login/callback`,
      DEMO_EID_HOST: host,
      DEMO_EID_PORT: env.DEMO_EID_PORT ?? '0',
    },
    ['ignore', 'pipe', 'pipe'],
  );
  // oidc-provider warns that its in-memory store is for development: that is what a demo is.
  readline.createInterface({ input: child.stderr }).on('line', (line) => {
    if (!line.includes('development-only in-memory adapter')) console.error(line);
  });
  const lines = readline.createInterface({ input: child.stdout });
  const first = await new Promise((resolve) => {
    lines.once('line', resolve);
    child.once('exit', () => resolve(null));
  });
  lines.on('line', (line) => console.log(line));
  try {
    return JSON.parse(first);
  } catch {
    return null;
  }
}
const demoEid = demo && !env.CITIZEN_OIDC_ISSUER ? await startDemoEid() : null;
if (demo && !env.CITIZEN_OIDC_ISSUER && !demoEid) {
  console.error('The demo e-identification did not start; see the messages above.');
  stop(1);
  // stop() exits once the children have stopped: start nothing more meanwhile.
  await new Promise(() => setTimeout(() => {}, 30_000));
}

// A bounded V8 heap: the API's working set is small, and without a bound V8 lets it grow with the
// machine's memory before collecting (bench:auth: ~290 MB resident unbounded, ~180 MB at 256).
const heapMb = Number(env.API_MAX_HEAP_MB ?? 256);
run('API', [`--max-old-space-size=${heapMb}`, '--import', 'tsx', 'src/server.ts'], path.join(root, 'backend'), {
  NODE_ENV: nodeEnv,
  HOST: '127.0.0.1',
  PORT: String(apiPort),
  DEMO: demo ? '1' : '0',
  // Where identity providers send the browser back to (the web app's address).
  ORIGIN: publicUrl,
  ...(demoEid ? { CITIZEN_OIDC_ISSUER: demoEid.issuer, CITIZEN_OIDC_CLIENT_ID: demoEid.clientId } : {}),
});

async function waitFor(url, seconds) {
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until && !stopping) {
    try {
      const r = await fetch(url);
      if (r.ok) return true;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

if (!(await waitFor(`${apiUrl}/api/ready`, 120))) {
  console.error(`The API did not become ready at ${apiUrl}; see the log above.`);
  stop(1);
} else {
  // Uploaded documents (DOCUMENT_MAX_BYTES, 10 MB by default) pass through the web app's server,
  // whose own limit is 512 kB unless raised.
  run('Web app', ['build'], frontend, {
    PORT: String(webPort),
    HOST: host,
    ORIGIN: publicUrl,
    API_URL: apiUrl,
    NODE_ENV: 'production',
    BODY_SIZE_LIMIT: env.BODY_SIZE_LIMIT ?? '11M',
  });
  if (await waitFor(publicUrl + '/login', 60)) {
    console.log(`
  Samverka is running.

    Web app:  ${publicUrl}
    API:      ${apiUrl}/api   (OpenAPI: ${apiUrl}/api/docs/json)
${
  demo
    ? `
    Demo sign-ins (password: ${env.DEMO_PASSWORD ? 'the DEMO_PASSWORD you set' : 'samverka-demo-2026'}):
      social       socialsekreterare, Individ- och familjeomsorg
      school       skola (partner)
      police       polis (partner)
      leisure      fritid (partner)
      coordinator  SSPF-samordnare
      auditor      dataskyddsombud
      admin        systemförvaltare
${
  demoEid
    ? `
    Mina samtycken (demo e-legitimation): ${publicUrl}/citizen — personnummer
${demoEid.people.map((p) => `      ${p.pin}  ${p.name}, ${p.role}`).join('\n')}
      The social worker opens a case with a guardian's personnummer and sends a consent request.
`
    : ''
}`
    : ''
}
  Stop with Ctrl+C.
`);
  }
}
