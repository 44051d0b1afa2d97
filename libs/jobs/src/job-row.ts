import { DataSource } from 'typeorm';
import { Job } from './entities/job.entity';

/**
 * Turns raw `jobs` rows (from set-based statements such as the claim) into {@link Job} entities
 * using the entity's own column metadata, so column names and transformers live in one place.
 */
export function jobFromRow(dataSource: DataSource, row: Record<string, unknown>): Job {
  const job = new Job();
  for (const column of dataSource.getMetadata(Job).columns) {
    if (!(column.databaseName in row)) continue;
    let value = row[column.databaseName];
    const transformer = column.transformer;
    if (transformer && !Array.isArray(transformer)) value = transformer.from(value);
    (job as unknown as Record<string, unknown>)[column.propertyName] = value;
  }
  return job;
}

const selectable = new WeakMap<DataSource, string>();

/**
 * The `jobs` columns an entity read loads (those not marked `select: false`, such as the
 * checkpoint and the patch), as a select list for raw statements.
 */
export function jobColumns(dataSource: DataSource, alias = 'j'): string {
  let list = selectable.get(dataSource);
  if (list === undefined) {
    list = dataSource
      .getMetadata(Job)
      .columns.filter((c) => c.isSelect)
      .map((c) => `${alias}.${c.databaseName}`)
      .join(', ');
    selectable.set(dataSource, list);
  }
  return list;
}
