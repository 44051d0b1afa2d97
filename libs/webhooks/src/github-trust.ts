import { GITHUB_ASSOCIATIONS, GithubAssociation } from '@app/common';

/** A GitHub account as webhook payloads carry it (`sender`, `comment.user`, `issue.user`). */
export interface GithubAccount {
  login?: string;
  type?: string;
}

/** Who may start jobs from GitHub: associations (OWNER, MEMBER, ...) and logins (lower case). */
export interface GithubTrust {
  associations: readonly GithubAssociation[];
  logins: readonly string[];
}

/** The verdict on the person behind a delivery, with what it was judged on. */
export interface TrustVerdict {
  trusted: boolean;
  /** Why, in words an operator reads in the ledger. */
  reason: string;
  login: string | null;
  /** The association the verdict used, when GitHub told it. */
  association: string | null;
}

/** Associations that can hold the triage permission a label needs: a labeller is one of them, GitHub does not say which. */
const CAN_LABEL: readonly GithubAssociation[] = ['OWNER', 'MEMBER', 'COLLABORATOR'];

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/;

/** The account's login as GitHub spells logins, or '' (nothing else is stored or compared). */
const loginOf = (account: GithubAccount | undefined): string => (LOGIN.test(text(account?.login)) ? text(account?.login) : '');

/** The association GitHub stated, when it is one GitHub uses. */
const associationOf = (value: unknown): GithubAssociation | null =>
  (GITHUB_ASSOCIATIONS as readonly string[]).includes(text(value)) ? (text(value) as GithubAssociation) : null;

const isBot = (account: GithubAccount | undefined): boolean => account?.type === 'Bot' || /\[bot\]$/i.test(text(account?.login));

function listed(trust: GithubTrust, login: string): boolean {
  return login !== '' && trust.logins.includes(login.toLowerCase());
}

/**
 * Whether the author of an `issue_comment` may start a job: a listed login, or a person (not a bot)
 * whose `comment.author_association` is trusted. GitHub computes that association for the comment's
 * author, so it is the one fact in the payload about the person who asked.
 */
export function commentTrust(
  trust: GithubTrust,
  comment: { user?: GithubAccount; author_association?: unknown } | undefined,
): TrustVerdict {
  const login = loginOf(comment?.user);
  const association = associationOf(comment?.author_association);
  const who = login || 'an unknown account';
  if (listed(trust, login)) return { trusted: true, reason: `${who} is in GITHUB_TRUSTED_LOGINS`, login: login || null, association };
  if (isBot(comment?.user))
    return { trusted: false, reason: `comment is from a bot (${who}) not in GITHUB_TRUSTED_LOGINS`, login: login || null, association };
  if (association && (trust.associations as readonly string[]).includes(association)) {
    return { trusted: true, reason: `${who} is ${association}`, login: login || null, association };
  }
  return {
    trusted: false,
    reason: `comment author ${who} is ${association ?? 'of no stated association'}, not one of ${trust.associations.join(', ')} (GITHUB_TRUSTED_ASSOCIATIONS) nor in GITHUB_TRUSTED_LOGINS`,
    login: login || null,
    association,
  };
}

/**
 * Whether the person who added a label (`sender` of `issues.labeled`) may start a job. GitHub sends
 * no association for the sender of a label event, so:
 * - a listed login is trusted; any other bot is not (a workflow may label what a stranger wrote);
 * - a sender labelling their own issue may have done it through an issue template that applies labels
 *   at creation, which needs no permission: the issue's `author_association` is then the sender's own,
 *   and is judged like a comment author's;
 * - a sender labelling someone else's issue needed the triage permission, which only owners, members
 *   and collaborators can hold; that is trusted when all three associations are (GitHub does not say
 *   which of them the sender is), and otherwise only through GITHUB_TRUSTED_LOGINS.
 */
export function labelTrust(
  trust: GithubTrust,
  sender: GithubAccount | undefined,
  issue: { user?: GithubAccount; author_association?: unknown } | undefined,
): TrustVerdict {
  const login = loginOf(sender);
  const who = login || 'an unknown account';
  if (listed(trust, login)) return { trusted: true, reason: `${who} is in GITHUB_TRUSTED_LOGINS`, login, association: null };
  if (!login) return { trusted: false, reason: 'the label event names no sender', login: null, association: null };
  if (isBot(sender))
    return { trusted: false, reason: `label was added by a bot (${who}) not in GITHUB_TRUSTED_LOGINS`, login, association: null };
  if (login.toLowerCase() === text(issue?.user?.login).toLowerCase()) {
    const association = associationOf(issue?.author_association);
    if (association && (trust.associations as readonly string[]).includes(association)) {
      return { trusted: true, reason: `${who} labelled their own issue and is ${association}`, login, association };
    }
    return {
      trusted: false,
      reason: `${who} labelled their own issue (an issue template can do that without any permission) and is ${association ?? 'of no stated association'}, not one of ${trust.associations.join(', ')}`,
      login,
      association,
    };
  }
  if (CAN_LABEL.every((a) => trust.associations.includes(a))) {
    return {
      trusted: true,
      reason: `${who} labelled another person's issue, which needs triage access on the repository`,
      login,
      association: null,
    };
  }
  return {
    trusted: false,
    reason: `${who} labelled the issue; GitHub does not say whether they are ${CAN_LABEL.join(', ')}, and not all of those are in GITHUB_TRUSTED_ASSOCIATIONS: list the login in GITHUB_TRUSTED_LOGINS`,
    login,
    association: null,
  };
}
