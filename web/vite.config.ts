// Build: one HTML page, hashed JS/CSS under assets/, nothing inline (the server's CSP forbids it).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The preload polyfill would be inlined into the entry; every supported browser has it.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: {
    // `npm run dev` against a local `heartbase serve --https-cert none --https-listen 127.0.0.1:18443`.
    proxy: { '/api': 'http://127.0.0.1:18443' },
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts'],
  },
});
