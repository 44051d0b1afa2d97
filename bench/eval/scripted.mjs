// The scripted model of `npm run eval -- --scripted`: for each task, a replay of its upstream fix
// through the team's real tools (the Planner reads and plans, the Builder applies the patch, runs
// the tests and commits, the Reviewer approves), served by the fake Messages API (test/fake-model).
// It tests the harness, not a model. A task with a `scripted-attempt.patch` gets that patch instead
// of the fix: a deliberately wrong attempt whose job succeeds but whose acceptance tests must fail,
// so the harness is seen not to trust a job's claim of success.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Whether the scripted model has an attempt for this task, and whether it is deliberately wrong. */
export function scriptedAttempt(task) {
  const wrong = join(task.dir, 'scripted-attempt.patch');
  return existsSync(wrong)
    ? { patchFile: wrong, deliberatelyWrong: true }
    : { patchFile: join(task.dir, 'fix.patch'), deliberatelyWrong: false };
}

/** The fake model's scenario for one task (`reply` and `toolUse` from test/fake-model/scenario). */
export function scriptedScenario(task, { reply, toolUse }) {
  const { patchFile, deliberatelyWrong } = scriptedAttempt(task);
  const patch = readFileSync(patchFile, 'utf8');
  const files = [...patch.matchAll(/^\+\+\+ b\/(.+)$/gm)].map((m) => m[1]);
  const what = task.upstream.defect;
  return {
    name: `eval ${task.id}${deliberatelyWrong ? ' (deliberately wrong attempt)' : ''}`,
    match: { contains: task.goal },
    roles: {
      planner: [
        reply('Reading the code the request names.', toolUse('read_file', { path: files[0] })),
        reply(
          toolUse('record_analysis', {
            summary: what,
            rootCause: what,
            affectedFiles: files,
            risk: 'low',
            evidence: files.map((path) => ({ path, note: 'the code the upstream fix changes' })),
          }),
        ),
        reply(
          toolUse('create_plan', {
            steps: [
              { title: `Change ${files.join(', ')}`, files },
              { title: 'Run the tests and commit', files: [] },
            ],
            testStrategy: 'Run the package tests; they must pass.',
          }),
        ),
      ],
      builder: [
        reply(toolUse('read_file', { path: files[0] })),
        reply('Applying the change.', toolUse('apply_patch', { patch })),
        reply(toolUse('run_tests', {})),
        reply(toolUse('commit_changes', { message: `Fix: ${what}\n\n${task.upstream.documented}` })),
        reply(`Changed ${files.join(', ')}; the tests pass and the change is committed.`),
      ],
      reviewer: [
        reply(toolUse('get_diff', {})),
        reply(toolUse('submit_review', { verdict: 'approve', summary: `The change addresses: ${what}.` })),
      ],
    },
  };
}
