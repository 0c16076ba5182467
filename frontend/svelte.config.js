import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	compilerOptions: {
		runes: true
	},
	kit: {
		adapter: adapter(),
		typescript: {
			// Type-check the e2e suite and the tool configs with the app (paths relative to .svelte-kit).
			config(tsconfig) {
				tsconfig.include.push('../e2e/**/*.ts', '../vitest.config.ts', '../vitest.e2e.config.ts', '../svelte.config.js');
			}
		},
		// Inline scripts get hashes/nonces from Kit; nothing else may run or be loaded from elsewhere.
		csp: {
			mode: 'auto',
			directives: {
				'default-src': ['self'],
				'script-src': ['self'],
				// The one inline style is Kit's route announcer (also hidden by app.css): allow exactly it.
				'style-src': ['self', 'unsafe-hashes', 'sha256-S8qMpvofolR8Mpjy4kQvEm7m1q8clzU4dfDH0AmvZjo='],
				'img-src': ['self', 'data:'],
				'font-src': ['self'],
				'connect-src': ['self'],
				'form-action': ['self'],
				'base-uri': ['none'],
				'object-src': ['none'],
				'frame-ancestors': ['none']
			}
		}
	}
};

export default config;
