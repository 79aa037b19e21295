/**
 * Builds the web dashboard (`src/dashboard`) into `dist/dashboard`, which
 * `chime serve` serves at `/`: `npm run build:dashboard`. Everything the page
 * loads is a file of its own (no inline script, style or data: URI), so the
 * service's Content-Security-Policy can allow `'self'` only.
 * `npm run dev:dashboard` serves it with live reload, the API proxied to a
 * `chime serve` on 127.0.0.1:8000.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('./src/dashboard', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  publicDir: 'public',
  logLevel: 'warn',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: fileURLToPath(new URL('./dist/dashboard', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  server: {
    proxy: {
      '/v1': 'http://127.0.0.1:8000',
      '/openapi.json': 'http://127.0.0.1:8000',
      '/readyz': 'http://127.0.0.1:8000',
    },
  },
});
