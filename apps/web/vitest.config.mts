import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Component tests of the dashboard (jsdom); the root config runs the server and browser tests. */
export default defineConfig({
  root: here('.'),
  plugins: [react()],
  // The typed API client is shared with the CLI (libs/api-client).
  resolve: { alias: { '@': here('./src'), '@app/api-client': here('../../libs/api-client/src') } },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.spec.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
    restoreMocks: true,
  },
});
