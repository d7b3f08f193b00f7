/// <reference types="vitest/config" />
// The web application's build (docs/web.md). Root is web/; the output goes to dist/web at the
// repository root, where the API serves it (WEB_DIST_DIR). The dev server proxies the API's
// paths so the page, its cookies and the API share one origin, as in production.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const apiTarget = process.env.WEB_API_URL ?? 'http://127.0.0.1:8000';
const proxied = ['/api', '/.well-known', '/health', '/docs', '/openapi.json'];

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    // scripts/web-budget.ts reads it to weigh the public pages' JavaScript.
    manifest: true,
    sourcemap: false,
  },
  server: {
    port: Number(process.env.WEB_DEV_PORT ?? 5173),
    strictPort: true,
    host: '127.0.0.1',
    proxy: Object.fromEntries(proxied.map((p) => [p, { target: apiTarget, changeOrigin: false }])),
  },
  test: {
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['src/**/*.spec.{ts,tsx}'],
    environment: 'jsdom',
    setupFiles: ['src/test/setup.ts'],
    // One fork at a time: the machine is shared (two cores).
    maxWorkers: 1,
    // The machine is shared: a rendered form can take seconds when it is busy.
    testTimeout: 30_000,
  },
});
