/**
 * A FROM item that makes the statement's own transaction commit without waiting for the WAL
 * flush (`synchronous_commit = off` for that transaction only): `UPDATE jobs SET ... FROM
 * ${ASYNC_COMMIT} WHERE ...`. For an agent's step bookkeeping (budget use, step count, events,
 * checkpoints): a PostgreSQL crash can lose the last few hundred milliseconds of it, and the job
 * then resumes from an older checkpoint; nothing else can lose it, and any later durable commit
 * (every status transition and ledger entry is one) makes it durable too. It spares the agent
 * loop an fsync per write.
 */
export const ASYNC_COMMIT = `(SELECT set_config('synchronous_commit', 'off', true)) AS async_commit`;
