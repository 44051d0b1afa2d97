/**
 * The agent roles that have a job handler, and what each means for a request. The agents module
 * registers exactly one handler per role listed here (its registration table is typed by this
 * object, so a role without a handler, or a handler without a role, does not compile).
 */
export const JOB_ROLES = {
  /** The whole team: Planner, Builder, Reviewer, quality gate, TruthPack. */
  coordinator: { fromRequest: true, reviewed: true },
  /** The Builder alone: no Planner, no Reviewer, no quality gate, no TruthPack. */
  builder: { fromRequest: true, reviewed: false },
  /** Scores a finished job; the team queues it with the job it evaluates, a request cannot name one. */
  evaluator: { fromRequest: false, reviewed: true },
} as const satisfies Record<string, { fromRequest: boolean; reviewed: boolean }>;

/** A role some handler works. */
export type HandledRole = keyof typeof JOB_ROLES;

/** A role `POST /api/jobs` accepts. */
export type RequestableRole = { [R in HandledRole]: (typeof JOB_ROLES)[R]['fromRequest'] extends true ? R : never }[HandledRole];

/** Every role with a handler. */
export const HANDLED_ROLES = Object.keys(JOB_ROLES) as HandledRole[];

/** The roles a request may address a job to. */
export const REQUESTABLE_ROLES = HANDLED_ROLES.filter((role) => JOB_ROLES[role].fromRequest) as RequestableRole[];

/** Roles whose jobs skip review (and so need an admin-scoped token to request). */
export const UNREVIEWED_ROLES = HANDLED_ROLES.filter((role) => !JOB_ROLES[role].reviewed);

/** Whether a role has a handler. */
export function isHandledRole(role: string): role is HandledRole {
  return Object.hasOwn(JOB_ROLES, role);
}
