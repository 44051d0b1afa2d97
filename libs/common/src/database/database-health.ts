import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from './migrations';

/** Whether the database answers and every migration this build knows has been applied. */
@Injectable()
export class DatabaseHealth {
  constructor(private readonly dataSource: DataSource) {}

  async check(): Promise<{ database: boolean; migrations: boolean; pending: number }> {
    try {
      const rows: { name: string }[] = await this.dataSource.query('SELECT name FROM schema_migrations');
      const applied = new Set(rows.map((r) => r.name));
      const pending = MIGRATIONS.filter((m) => !applied.has(m.name)).length;
      return { database: true, migrations: pending === 0, pending };
    } catch {
      return { database: false, migrations: false, pending: MIGRATIONS.length };
    }
  }
}
