import fastifyStatic from '@fastify/static';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { existsSync, statSync } from 'node:fs';
import { join, normalize, resolve, sep } from 'node:path';
import { Logger } from 'pino';

/** Where `npm run build:web` puts the dashboard: beside the sources, or above dist/ when compiled. */
export function webDistDir(): string | null {
  const candidates = [process.env.WEB_DIST_DIR, resolve(__dirname, '../../web/dist'), resolve(__dirname, '../../../../apps/web/dist')];
  return candidates.find((dir): dir is string => !!dir && existsSync(join(dir, 'index.html'))) ?? null;
}

/**
 * Serves the built dashboard (apps/web/dist) at `/`: its files as they are (hashed assets cached for
 * good), and index.html for any other GET that accepts HTML outside /api, so client-side routes load.
 */
export async function serveWebApp(app: NestFastifyApplication, logger: Logger): Promise<void> {
  const root = webDistDir();
  if (!root) {
    logger.info('no built dashboard (apps/web/dist): run `npm run build:web` to serve it at /');
    return;
  }
  await app.register(fastifyStatic, { root, serve: false });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.get('/*', (request: FastifyRequest, reply: FastifyReply) => {
    const pathname = decodeURIComponent(request.url.split('?')[0]);
    if (pathname === '/api' || pathname.startsWith('/api/')) return reply.callNotFound();
    const relative = normalize(pathname).replace(/^([/\\])+/, '');
    const file = resolve(root, relative);
    if (relative && (file === root || file.startsWith(root + sep)) && existsSync(file) && statSync(file).isFile()) {
      const immutable = relative.startsWith('assets/');
      return reply.sendFile(relative, { cacheControl: true, immutable, maxAge: immutable ? '365d' : 0 });
    }
    if (!/text\/html/.test(String(request.headers.accept ?? ''))) return reply.callNotFound();
    return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
  });
  logger.info({ root }, 'serving the dashboard at /');
}
