import { defineConfig } from 'vitest/config';

// Real-browser tests against the built app and the real backend (see e2e/global-setup.ts).
export default defineConfig({
	test: {
		environment: 'node',
		include: ['e2e/**/*.e2e.ts'],
		globalSetup: ['e2e/global-setup.ts'],
		fileParallelism: false,
		testTimeout: 60_000,
		hookTimeout: 180_000,
		expect: { requireAssertions: true }
	}
});
