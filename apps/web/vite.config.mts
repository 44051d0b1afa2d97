import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** The dashboard: `vite build apps/web` writes apps/web/dist, which the server serves at `/`. */
export default defineConfig({
  root: here('.'),
  plugins: [react()],
  // The typed API client is shared with the CLI (libs/api-client).
  resolve: { alias: { '@': here('./src'), '@app/api-client': here('../../libs/api-client/src') } },
  build: { outDir: here('./dist'), emptyOutDir: true, sourcemap: true },
  server: {
    port: 5173,
    proxy: { '/api': { target: process.env.AICT_API_URL ?? 'http://localhost:3000', changeOrigin: false } },
  },
});
