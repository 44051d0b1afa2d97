import { resolve } from 'node:path';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const lib = (name: string) => resolve(__dirname, `libs/${name}/src`);

export default defineConfig({
  plugins: [
    swc.vite({
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        keepClassNames: true,
      },
    }),
  ],
  resolve: {
    alias: {
      '@app/agents': lib('agents'),
      '@app/api-client': lib('api-client'),
      '@app/auth': lib('auth'),
      '@app/chat': lib('chat'),
      '@app/common': lib('common'),
      '@app/evaluation': lib('evaluation'),
      '@app/events': lib('events'),
      '@app/intake': lib('intake'),
      '@app/jobs': lib('jobs'),
      '@app/ledger': lib('ledger'),
      '@app/metrics': lib('metrics'),
      '@app/notifications': lib('notifications'),
      '@app/provenance': lib('provenance'),
      '@app/tdln': lib('tdln'),
      '@app/team': lib('team'),
      '@app/tools': lib('tools'),
      '@app/watcher': lib('watcher'),
      '@app/webhooks': lib('webhooks'),
      '@app/worker': lib('worker'),
    },
  },
  test: {
    include: ['libs/*/src/**/*.spec.ts', 'apps/*/src/**/*.spec.ts', 'test/**/*.spec.ts'],
    // apps/web has its own config (jsdom, React): `npm run test:web`.
    exclude: ['**/node_modules/**', 'apps/web/**'],
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['reflect-metadata'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
