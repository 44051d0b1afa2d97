import { JobCaps } from '@app/common';
import { PendingQuestion, describeCap } from '@app/jobs';

/**
 * How chat tells a decision, an explicit answer and a status question from everything else. The
 * rules are deliberately small and strict: a waiting approval is resolved only by a message whose
 * whole meaning is yes or no, so small talk never becomes an approval.
 */

const APPROVE_PHRASES = [
  'approve',
  'approved',
  'approve it',
  'i approve',
  'yes',
  'y',
  'yep',
  'yeah',
  'yes please',
  'ok',
  'okay',
  'sure',
  'lgtm',
  'looks good',
  'looks good to me',
  'ship it',
  'go ahead',
  'go for it',
  'do it',
  'proceed',
  'start',
  'start it',
  'accept',
  'accepted',
  '👍',
];
const REJECT_PHRASES = [
  'reject',
  'rejected',
  'reject it',
  'i reject',
  'no',
  'n',
  'nope',
  'nah',
  'no thanks',
  'decline',
  'deny',
  'stop',
  'abort',
  'cancel',
  "don't",
  'do not',
  "don't do it",
  'do not do it',
  '👎',
];
const PHRASES = new Map<string, 'approve' | 'reject'>([
  ...APPROVE_PHRASES.map((p) => [p, 'approve'] as const),
  ...REJECT_PHRASES.map((p) => [p, 'reject'] as const),
]);
/** A job named after the decision: its id, or the first 8+ characters of it. */
const JOB_REF = /^(.*?)\s+(?:job\s+)?([0-9a-f]{8}(?:-[0-9a-f]{1,4}){0,4}[0-9a-f]*)$/;
const MAX_DECISION_LENGTH = 80;

/** A message lowercased, with typographic apostrophes, surrounding punctuation and courtesies taken off. */
function normalise(text: string): string {
  let t = text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/\s+/g, ' ')
    .trim();
  t = t.replace(/^[\s.,;:!]+|[\s.,;:!]+$/g, '');
  t = t.replace(/^please\s+/, '');
  t = t.replace(/[\s,]+(please|thanks|thank you)$/, '');
  return t.replace(/[\s.,;:!]+$/g, '');
}

/**
 * The decision a message gives, when its whole meaning is one: `approve` (yes, approve, ok, lgtm,
 * ship it, go ahead…) or `reject` (no, reject, stop, abort, cancel…), optionally followed by the job
 * it is about. Anything more — "yes but first tell me why it failed", "yes, like normal subtraction"
 * — is not a decision.
 */
export function decisionOf(text: string): { decision: 'approve' | 'reject'; jobRef?: string } | null {
  if (text.length > MAX_DECISION_LENGTH) return null;
  const t = normalise(text);
  const direct = PHRASES.get(t);
  if (direct) return { decision: direct };
  const ref = JOB_REF.exec(t);
  const named = ref ? PHRASES.get(normalise(ref[1])) : undefined;
  return named && ref ? { decision: named, jobRef: ref[2] } : null;
}

/** The answer in a message that says it is one (`answer: …`), or null. */
export function explicitAnswer(text: string): string | null {
  const match = /^\s*answer\s*:\s*([\s\S]+)$/i.exec(text);
  const answer = match?.[1].trim();
  return answer ? answer : null;
}

const STATUS_WORDS = /\b(status|progress|how('s| is) it going|what are you (doing|working on)|where are we|is it done)\b/i;

/** A question about how the work goes ("how's it going?", "what is the status?", "status"). */
export function isStatusQuestion(text: string): boolean {
  return STATUS_WORDS.test(text);
}

/**
 * A status question that cannot be an answer: short, and asked as a question or in one word. A
 * job's question is answered with whatever else is said ("return status 404 instead" is an answer).
 */
export function isPlainStatusQuestion(text: string): boolean {
  const t = text.trim();
  if (t.length > 80 || !STATUS_WORDS.test(t)) return false;
  return t.endsWith('?') || /^(status|progress)$/i.test(normalise(t));
}

/** The cap a raise names, by the unit written after the figure. */
type RaisedCap = 'maxSteps' | 'maxTokens' | 'maxCostCents' | 'maxWallMs';

const ESCALATE_PHRASES = new Set([
  'escalate',
  'escalate it',
  'genius',
  'genius mode',
  'go genius',
  'use genius',
  'use genius mode',
  'continue in genius',
  'continue in genius mode',
  'switch to genius',
  'switch to genius mode',
  'continue with genius mode',
  'escalate to genius',
  'escalate to genius mode',
]);
const RAISE =
  /^raise(?:\s+(?:it|the\s+(?:cap|limit|budget)|(?:the\s+)?(step|token|cost|time|wall time)s?(?:\s+(?:cap|limit))?))?(?:\s+to\s+(\$\s*)?(\d+(?:\.\d+)?)\s*(k|m)?\s*([a-z¢$]+(?:\s+calls)?)?)?$/;
/** The cap a raise names before its figure ("raise tokens to …"), and what a bare figure then counts in. */
const NAMED: Record<string, { cap: RaisedCap; factor: number }> = {
  step: { cap: 'maxSteps', factor: 1 },
  token: { cap: 'maxTokens', factor: 1 },
  cost: { cap: 'maxCostCents', factor: 1 },
  time: { cap: 'maxWallMs', factor: 60_000 },
  'wall time': { cap: 'maxWallMs', factor: 60_000 },
};
const UNITS: Record<string, { cap: RaisedCap; factor: number }> = {
  step: { cap: 'maxSteps', factor: 1 },
  steps: { cap: 'maxSteps', factor: 1 },
  'tool calls': { cap: 'maxSteps', factor: 1 },
  calls: { cap: 'maxSteps', factor: 1 },
  token: { cap: 'maxTokens', factor: 1 },
  tokens: { cap: 'maxTokens', factor: 1 },
  cent: { cap: 'maxCostCents', factor: 1 },
  cents: { cap: 'maxCostCents', factor: 1 },
  '¢': { cap: 'maxCostCents', factor: 1 },
  dollar: { cap: 'maxCostCents', factor: 100 },
  dollars: { cap: 'maxCostCents', factor: 100 },
  usd: { cap: 'maxCostCents', factor: 100 },
  s: { cap: 'maxWallMs', factor: 1_000 },
  sec: { cap: 'maxWallMs', factor: 1_000 },
  seconds: { cap: 'maxWallMs', factor: 1_000 },
  min: { cap: 'maxWallMs', factor: 60_000 },
  mins: { cap: 'maxWallMs', factor: 60_000 },
  minutes: { cap: 'maxWallMs', factor: 60_000 },
  h: { cap: 'maxWallMs', factor: 3_600_000 },
  hour: { cap: 'maxWallMs', factor: 3_600_000 },
  hours: { cap: 'maxWallMs', factor: 3_600_000 },
};

/** A choice on a waiting escalation: go on in genius mode, or raise the cap (to a figure, or by the suggested raise). */
export type EscalationChoice =
  { choice: 'escalate'; jobRef?: string } | { choice: 'raise'; cap?: RaisedCap; value?: number; jobRef?: string };

function escalationChoiceIn(t: string): EscalationChoice | null {
  if (ESCALATE_PHRASES.has(t)) return { choice: 'escalate' };
  const raise = RAISE.exec(t);
  if (!raise) return null;
  const [, named, dollar, figure, scale, unitText] = raise;
  const dimension = named ? NAMED[named] : undefined;
  if (figure === undefined) return { choice: 'raise', ...(dimension ? { cap: dimension.cap } : {}) };
  const unit = dollar ? UNITS.dollars : unitText ? UNITS[unitText] : dimension;
  if (unitText && !UNITS[unitText]) return null;
  if (dimension && unit && unit.cap !== dimension.cap) return null;
  const value = Math.round(Number(figure) * (scale === 'k' ? 1_000 : scale === 'm' ? 1_000_000 : 1) * (unit?.factor ?? 1));
  return { choice: 'raise', value, ...(unit ? { cap: unit.cap } : {}) };
}

/**
 * The choice a message makes on a waiting escalation, when its whole meaning is one: `escalate`
 * ("escalate", "genius mode", "continue in genius mode"…) or `raise` ("raise", "raise the cap",
 * "raise to 120 steps", "raise tokens to 800k", "raise to $3", "raise to 30 min"; a figure without
 * a unit raises the cap the job stopped at), optionally followed by the job it is about. Anything
 * more is not a choice.
 */
export function escalationChoiceOf(text: string): EscalationChoice | null {
  if (text.length > MAX_DECISION_LENGTH) return null;
  const t = normalise(text);
  const direct = escalationChoiceIn(t);
  if (direct) return direct;
  const ref = JOB_REF.exec(t);
  const named = ref ? escalationChoiceIn(normalise(ref[1])) : null;
  return named && ref ? { ...named, jobRef: ref[2] } : null;
}

/** How to settle an escalation in chat, from the choices it offers. */
export function escalationHow(question: PendingQuestion): string {
  const raise = question.data?.raise as { cap: keyof JobCaps; suggested: number } | null | undefined;
  const ways = [
    ...(question.actions?.includes('escalate') ? ['**escalate** to continue in genius mode'] : []),
    ...(question.actions?.includes('raise_cap') && raise
      ? [`**raise to ${describeCap(raise.cap, raise.suggested)}** (or another figure) to raise the cap`]
      : []),
    '**reject** to stop it',
  ];
  return `Reply ${ways.join(', ')}.`;
}

const QUESTION_OPENER = /^(what|where|why|how|which|who|whom|whose|when|is|are|was|were|does|do|did|has|have|had)\b/i;

/**
 * A question asked as a question: it opens with an interrogative word or an inverted verb and ends
 * with "?" ("how does add work in src/calc.js?", "is the subtract bug fixed?"). Requests phrased
 * politely ("can you fix src/calc.js?", "could you add tests?") are not questions: they ask for work.
 */
export function isQuestion(text: string): boolean {
  const t = text.trim();
  return t.endsWith('?') && QUESTION_OPENER.test(t);
}
