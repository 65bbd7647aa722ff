/**
 * Builds the UI into `web/dist` (served by `kubegate server` at `/`), and runs its
 * component tests (Vitest, jsdom). No inline script or style is emitted, so the server's
 * Content-Security-Policy can forbid both.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import { precompress } from './build/precompress.js';

const root = fileURLToPath(new URL('.', import.meta.url));
/** `npm run dev:web` serves the UI with hot reload and sends the API to a running server. */
const devTarget = process.env.KUBEGATE_DEV_SERVER ?? 'https://127.0.0.1:8080';

export default defineConfig({
  root,
  plugins: [react(), precompress()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    // Vite would inline small assets as data: URLs; keep them files (cacheable, CSP-plain).
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
  server: {
    proxy: {
      // `secure: false`: a development server's certificate is usually its own generated CA's.
      '/api': { target: devTarget, secure: false },
      '/-/': { target: devTarget, secure: false },
    },
  },
  test: {
    root,
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
    restoreMocks: true,
  },
});
