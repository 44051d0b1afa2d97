import { type FormEvent, useEffect, useRef, useState } from 'react';
import { ErrorMessage } from '@/components/ui/feedback';
import { navigate } from '@/lib/router';
import { useCreateJob } from '../api/create-job';
import { useParseGoal } from '../api/parse-goal';
import type { CreateJobRequest, JobMode } from '../api/types';
import { GoalPreview } from './goal-preview';

function useDebounced<T>(value: T, ms: number): T {
  const [current, setCurrent] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setCurrent(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return current;
}

const REPO_KEY = 'aict.lastRepo';

/** The new-job form: goal, repository, mode and caps, with a live preview of how the goal is understood. */
export function NewJobForm({
  onCreated,
  onClose,
  debounceMs = 350,
}: {
  onCreated?: (id: string) => void;
  /** Escape closes the form (the page puts the focus back where it was). */
  onClose?: () => void;
  debounceMs?: number;
}) {
  const goalRef = useRef<HTMLTextAreaElement>(null);
  // The form opens ready to type.
  useEffect(() => goalRef.current?.focus(), []);
  const [goal, setGoal] = useState('');
  const [repo, setRepo] = useState(() => (typeof localStorage !== 'undefined' ? (localStorage.getItem(REPO_KEY) ?? '') : ''));
  const [mode, setMode] = useState<JobMode | ''>('');
  const [caps, setCaps] = useState({ maxSteps: '', maxTokens: '', maxCostCents: '', maxWallMinutes: '' });
  const text = useDebounced(goal.trim(), debounceMs);
  const repoText = useDebounced(repo.trim(), debounceMs);
  // The model is asked only on request (a metered call), for the text it was asked about.
  const [modelAskedFor, setModelAskedFor] = useState<string | null>(null);
  const preview = useParseGoal({ text, mode: mode || undefined, repo: repoText || undefined, useModel: modelAskedFor === text });
  const create = useCreateJob();
  // Never a stale verdict: while the text or repository typed differs from what was read, or a read is on its way, it is "checking".
  const checking = !!goal.trim() && (goal.trim() !== text || repo.trim() !== repoText || preview.isFetching);
  const verdict = checking ? undefined : preview.data;
  const refusal = verdict && !verdict.ok ? verdict.refusal : undefined;
  const refused = refusal?.code === 'policy_blocked';
  const unclear = !!verdict && !verdict.ok && !refused;
  // Why Start is not offered, in words: nothing to start, nowhere to start it, or a request the server would refuse.
  const blocker = !goal.trim()
    ? 'Type a goal to start a job.'
    : !repo.trim()
      ? 'Name the repository the team should work on.'
      : checking
        ? 'Checking the goal…'
        : refused
          ? 'The policy refuses this request: change the goal.'
          : unclear && !verdict?.modelAvailable
            ? 'The goal could not be read and no model is configured to read it: rephrase it.'
            : preview.error
              ? 'The goal could not be checked: the server cannot be reached.'
              : null;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body: CreateJobRequest = { goal: goal.trim(), repo: repo.trim() };
    if (mode) body.mode = mode;
    if (caps.maxSteps) body.maxSteps = Number(caps.maxSteps);
    if (caps.maxTokens) body.maxTokens = Number(caps.maxTokens);
    if (caps.maxCostCents) body.maxCostCents = Number(caps.maxCostCents);
    if (caps.maxWallMinutes) body.maxWallMs = Math.round(Number(caps.maxWallMinutes) * 60_000);
    create.mutate(body, {
      onSuccess: (job) => {
        localStorage.setItem(REPO_KEY, body.repo);
        if (onCreated) onCreated(job.id);
        else navigate(`/jobs/${job.id}`);
      },
    });
  };
  const cap = (name: keyof typeof caps) => (e: { target: { value: string } }) => setCaps((c) => ({ ...c, [name]: e.target.value }));

  return (
    <form
      className="new-job stack"
      onSubmit={submit}
      aria-label="New job"
      onKeyDown={(e) => {
        if (e.key === 'Escape' && onClose) {
          e.preventDefault();
          onClose();
        }
      }}
    >
      <div className="field">
        <label htmlFor="job-goal">Goal</label>
        <textarea
          ref={goalRef}
          id="job-goal"
          rows={3}
          required
          maxLength={10000}
          value={goal}
          onChange={(e) => setGoal(e.target.value)}
          placeholder="fix the failing test in src/calc.js"
          aria-describedby="job-goal-preview"
        />
      </div>
      <div id="job-goal-preview" className="field">
        <span className="label">How the goal is understood</span>
        <GoalPreview
          preview={text ? verdict : undefined}
          loading={checking}
          onSuggestion={setGoal}
          onAskModel={() => setModelAskedFor(text)}
          hasRepo={!!repoText}
        />
        <ErrorMessage error={preview.error} title="Could not read the goal" />
      </div>
      <div className="grid-2">
        <div className="field">
          <label htmlFor="job-repo">Repository</label>
          <input
            id="job-repo"
            required
            value={repo}
            onChange={(e) => setRepo(e.target.value)}
            placeholder="/srv/repos/shop or https://…"
            aria-describedby="job-repo-hint"
          />
          <small id="job-repo-hint" className="muted">
            A server-side absolute path or a git URL.
          </small>
        </div>
        <div className="field">
          <label htmlFor="job-mode">Mode</label>
          <select id="job-mode" value={mode} onChange={(e) => setMode(e.target.value as JobMode | '')}>
            <option value="">As the goal implies</option>
            <option value="mechanic">Mechanic — small, cheap, tight caps</option>
            <option value="genius">Genius — strong model, loose caps</option>
          </select>
        </div>
      </div>
      <fieldset className="caps">
        <legend>Caps (optional; defaults come from the mode)</legend>
        <div className="grid-4">
          <div className="field">
            <label htmlFor="cap-steps">Max steps</label>
            <input id="cap-steps" type="number" min={1} inputMode="numeric" value={caps.maxSteps} onChange={cap('maxSteps')} />
          </div>
          <div className="field">
            <label htmlFor="cap-tokens">Max tokens</label>
            <input id="cap-tokens" type="number" min={1} inputMode="numeric" value={caps.maxTokens} onChange={cap('maxTokens')} />
          </div>
          <div className="field">
            <label htmlFor="cap-cost">Max cost (cents)</label>
            <input id="cap-cost" type="number" min={1} inputMode="numeric" value={caps.maxCostCents} onChange={cap('maxCostCents')} />
          </div>
          <div className="field">
            <label htmlFor="cap-wall">Max time (minutes)</label>
            <input
              id="cap-wall"
              type="number"
              min={1}
              step="any"
              inputMode="decimal"
              value={caps.maxWallMinutes}
              onChange={cap('maxWallMinutes')}
            />
          </div>
        </div>
      </fieldset>
      {refused ? <p className="alert alert-error">The policy refuses this request; the server will answer 403 if you start it.</p> : null}
      {unclear && preview.data?.modelAvailable ? (
        <p className="alert alert-warn">
          The grammar could not read this goal; when you start the job, the model will be asked to understand it (a metered call that may
          take a few seconds), or it will ask you a question.
        </p>
      ) : null}
      {unclear && !preview.data?.modelAvailable ? (
        <p className="alert alert-warn">
          The engine could not read this goal and no model is configured to read it: starting it will be refused. Try one of the rephrasings
          above.
        </p>
      ) : null}
      <ErrorMessage error={create.error} title="Could not start the job" />
      <div className="row">
        <button
          type="submit"
          className="btn btn-primary"
          disabled={create.isPending || !!blocker}
          aria-describedby={blocker ? 'start-reason' : undefined}
        >
          {create.isPending ? 'Starting…' : 'Start job'}
        </button>
        {blocker ? (
          <span id="start-reason" className="muted small" role="status">
            {blocker}
          </span>
        ) : unclear && verdict?.modelAvailable ? (
          <span className="muted small">The model will be asked to read the goal when you start.</span>
        ) : null}
      </div>
    </form>
  );
}
