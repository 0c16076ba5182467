import { defineConfig } from 'vitest/config';

// Unit tests: plain Node, no browser and no SvelteKit runtime.
export default defineConfig({
	test: {
		environment: 'node',
		include: ['src/**/*.test.ts'],
		expect: { requireAssertions: true }
	}
});
