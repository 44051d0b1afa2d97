import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ledger becomes an append-only Merkle log. Entries take their `seq` from a sequence (no lock,
 * so ids may have gaps) and no longer carry a chain hash; the sequencer gives each committed entry a
 * gap-free `leaf_index` exactly once, stores every perfect subtree of the tree in
 * `ledger_tree_nodes` and a signed tree head per batch in `ledger_tree_heads`. Entries chained
 * before this keep `prev_hash`/`hash` (still checked by verify) and enter the log first, in seq
 * order, when the sequencer first runs: their leaves commit to their chain hashes too.
 */
export class LedgerMerkleLog1764000000018 implements MigrationInterface {
  name = 'LedgerMerkleLog1764000000018';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ledger ALTER COLUMN prev_hash DROP NOT NULL, ALTER COLUMN hash DROP NOT NULL`);
    await q.query(`ALTER TABLE ledger ADD COLUMN leaf_index bigint UNIQUE CHECK (leaf_index >= 0)`);
    await q.query(`ALTER TABLE ledger ADD CONSTRAINT ledger_chain_whole CHECK ((prev_hash IS NULL) = (hash IS NULL))`);
    await q.query(`CREATE SEQUENCE ledger_seq_seq AS bigint OWNED BY ledger.seq`);
    await q.query(`SELECT setval('ledger_seq_seq', COALESCE((SELECT max(seq) FROM ledger), 1), (SELECT count(*) > 0 FROM ledger))`);
    await q.query(`ALTER TABLE ledger ALTER COLUMN seq SET DEFAULT nextval('ledger_seq_seq')`);
    // What the sequencer reads: committed entries without a leaf, in id order.
    await q.query(`CREATE INDEX ledger_unsequenced_idx ON ledger (seq) WHERE leaf_index IS NULL`);
    await q.query(`
      CREATE TABLE ledger_tree_nodes (
        level smallint NOT NULL CHECK (level >= 0 AND level < 64),
        idx bigint NOT NULL CHECK (idx >= 0),
        hash bytea NOT NULL CHECK (length(hash) = 32),
        PRIMARY KEY (level, idx)
      )`);
    await q.query(`
      CREATE TABLE ledger_tree_heads (
        tree_size bigint PRIMARY KEY CHECK (tree_size > 0),
        root_hash text NOT NULL CHECK (root_hash ~ '^[0-9a-f]{64}$'),
        ts timestamptz NOT NULL,
        key_id text NOT NULL,
        signature text NOT NULL
      )`);
    // Entries refuse every UPDATE but the sequencer's one assignment of a leaf index, and nothing else may change with it.
    await q.query(`
      CREATE FUNCTION ledger_assign_leaf_once() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' AND OLD.leaf_index IS NULL AND NEW.leaf_index IS NOT NULL
           AND (to_jsonb(NEW) - 'leaf_index') = (to_jsonb(OLD) - 'leaf_index') THEN
          RETURN NEW;
        END IF;
        RAISE EXCEPTION 'the ledger is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`DROP TRIGGER ledger_no_update_delete ON ledger`);
    await q.query(
      `CREATE TRIGGER ledger_no_update_delete BEFORE UPDATE OR DELETE ON ledger FOR EACH ROW EXECUTE FUNCTION ledger_assign_leaf_once()`,
    );
    for (const table of ['ledger_tree_nodes', 'ledger_tree_heads']) {
      await q.query(
        `CREATE TRIGGER ${table}_no_update_delete BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()`,
      );
      await q.query(
        `CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()`,
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    const [{ n }] = await q.query(`SELECT count(*)::int AS n FROM ledger WHERE hash IS NULL`);
    if (n > 0)
      throw new Error(`${n} ledger entries were appended to the Merkle log and have no chain hash: this migration cannot be reverted`);
    await q.query(`DROP TABLE ledger_tree_heads`);
    await q.query(`DROP TABLE ledger_tree_nodes`);
    await q.query(`DROP TRIGGER ledger_no_update_delete ON ledger`);
    await q.query(
      `CREATE TRIGGER ledger_no_update_delete BEFORE UPDATE OR DELETE ON ledger FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()`,
    );
    await q.query(`DROP FUNCTION ledger_assign_leaf_once`);
    await q.query(`DROP INDEX ledger_unsequenced_idx`);
    await q.query(`ALTER TABLE ledger ALTER COLUMN seq DROP DEFAULT`);
    await q.query(`DROP SEQUENCE ledger_seq_seq`);
    await q.query(`ALTER TABLE ledger DROP CONSTRAINT ledger_chain_whole`);
    // Dropping the column is a schema change, which the row triggers do not see.
    await q.query(`ALTER TABLE ledger DROP COLUMN leaf_index`);
    await q.query(`ALTER TABLE ledger ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN hash SET NOT NULL`);
  }
}
