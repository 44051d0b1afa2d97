import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig, LOGGER } from '@app/common';
import { TokensService } from './tokens.service';

/**
 * On the first start (no token yet) issues the admin token: AUTH_BOOTSTRAP_TOKEN when set, else a
 * random one whose login link is printed once. Warns when access control is off.
 */
@Injectable()
export class AuthBootstrap implements OnApplicationBootstrap {
  constructor(
    private readonly tokens: TokensService,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.auth.enabled) {
      this.logger.warn({ host: this.config.host }, 'AUTH=off: every API route is open to anyone who can reach this loopback address');
      return;
    }
    if (this.config.role === 'worker') return;
    const issued = await this.dataSource.transaction(async (manager) => {
      // Replicas starting together issue one admin token between them.
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext('aict.auth.bootstrap'))`);
      const given = this.config.auth.bootstrapToken;
      if (given) {
        if (await this.tokens.exists(given)) return null;
        const { token } = await this.tokens.create({ name: 'bootstrap admin (AUTH_BOOTSTRAP_TOKEN)', scopes: ['admin'], secret: given });
        this.logger.info({ prefix: token.prefix }, 'admin token from AUTH_BOOTSTRAP_TOKEN registered');
        return null;
      }
      if (await this.tokens.any()) return null;
      return this.tokens.create({ name: 'first admin', scopes: ['admin'] });
    });
    if (!issued) return;
    const host = ['0.0.0.0', '::'].includes(this.config.host) ? 'localhost' : this.config.host;
    this.logger.warn({ prefix: issued.token.prefix }, 'first start: admin token issued; its login link is printed once below');
    // Written past the logger on purpose: the logger redacts every token, and this one must be seen once.
    process.stderr.write(
      `\n  Sign in (shown once): http://${host}:${this.config.port}/login#token=${issued.secret}\n  CLI: aict login --server http://${host}:${this.config.port} --token ${issued.secret}\n\n`,
    );
  }
}
