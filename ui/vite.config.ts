/// <reference types="vitest/config" />
// Vite builds the panel into `dist/`, which the Tauri shell serves from its own origin; relative
// asset URLs (`base: './'`) keep that working whatever the custom protocol's path looks like.
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  plugins: [svelte()],
  base: './',
  clearScreen: false,
  server: {
    port: 1420,
    strictPort: true,
    // The Rust sources change under src-tauri/; the dev server has no reason to watch them.
    watch: { ignored: ['**/src-tauri/**'] },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // WebKitGTK 2.50 on Linux matches Safari 16+ in what it parses.
    target: 'safari16',
    sourcemap: false,
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
