import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GithubTrust, commentTrust, labelTrust } from './github-trust';

// Real delivery shapes from GitHub's examples in octokit/webhooks (see test/fixtures/github-webhooks/SOURCES.md).
const fixture = (name: string) => JSON.parse(readFileSync(resolve(__dirname, '../../../test/fixtures/github-webhooks', name), 'utf8'));
const DEFAULT: GithubTrust = { associations: ['OWNER', 'MEMBER', 'COLLABORATOR'], logins: [] };
const person = (login: string) => ({ login, id: 1, type: 'User', site_admin: false });

describe('who may start a job from a GitHub comment', () => {
  it("trusts the comment's author when GitHub says they are an owner, member or collaborator", () => {
    const { comment } = fixture('issue_comment.created.json');
    expect(comment.author_association).toBe('OWNER');
    expect(commentTrust(DEFAULT, comment)).toMatchObject({ trusted: true, login: 'Codertocat', association: 'OWNER' });
    for (const association of ['MEMBER', 'COLLABORATOR']) {
      expect(commentTrust(DEFAULT, { ...comment, author_association: association }).trusted).toBe(true);
    }
  });

  it('ignores contributors, first-timers and strangers, saying who and why', () => {
    const { comment } = fixture('issue_comment.created.json');
    for (const association of ['CONTRIBUTOR', 'FIRST_TIME_CONTRIBUTOR', 'FIRST_TIMER', 'MANNEQUIN', 'NONE']) {
      const verdict = commentTrust(DEFAULT, { ...comment, user: person('stranger'), author_association: association });
      expect(verdict).toMatchObject({ trusted: false, login: 'stranger', association });
      expect(verdict.reason).toContain(`stranger is ${association}, not one of OWNER, MEMBER, COLLABORATOR`);
    }
    expect(commentTrust(DEFAULT, { ...comment, author_association: undefined }).trusted).toBe(false);
  });

  it('trusts a listed login whatever its association (case-insensitively), and ignores unlisted bots even as members', () => {
    const { comment } = fixture('issue_comment.created.json');
    const trust: GithubTrust = { associations: ['OWNER'], logins: ['outside-helper', 'release-bot[bot]'] };
    expect(commentTrust(trust, { ...comment, user: person('Outside-Helper'), author_association: 'NONE' }).trusted).toBe(true);
    expect(commentTrust(trust, { ...comment, user: { login: 'release-bot[bot]', type: 'Bot' }, author_association: 'NONE' }).trusted).toBe(
      true,
    );
    const bot = commentTrust(DEFAULT, { ...comment, user: { login: 'ci-bot[bot]', type: 'Bot' }, author_association: 'MEMBER' });
    expect(bot).toMatchObject({ trusted: false });
    expect(bot.reason).toContain('bot');
    expect(commentTrust(trust, { ...comment, author_association: 'MEMBER' }).trusted).toBe(false);
  });
});

describe('who may start a job by labelling a GitHub issue', () => {
  it('sends no association for the labeller: the sender has none, the issue carries its author’s', () => {
    const payload = fixture('issues.labeled.json');
    expect(payload.sender.author_association).toBeUndefined();
    expect(payload.issue.author_association).toBe('OWNER');
  });

  it("trusts a person who labels someone else's issue, since that takes triage access", () => {
    const { issue } = fixture('issues.labeled.json');
    const strangersIssue = { ...issue, user: person('stranger'), author_association: 'NONE' };
    expect(labelTrust(DEFAULT, person('maintainer'), strangersIssue)).toMatchObject({ trusted: true, login: 'maintainer' });
  });

  it('judges a sender who labels their own issue (an issue template can) by the issue’s association, which is theirs', () => {
    const { issue, sender } = fixture('issues.labeled.json');
    expect(labelTrust(DEFAULT, sender, issue)).toMatchObject({ trusted: true, association: 'OWNER' });
    const own = { ...issue, user: person('stranger'), author_association: 'NONE' };
    const verdict = labelTrust(DEFAULT, person('stranger'), own);
    expect(verdict).toMatchObject({ trusted: false, association: 'NONE' });
    expect(verdict.reason).toContain('issue template');
  });

  it('ignores labels added by bots unless listed, and by anyone when not all of owner, member and collaborator are trusted', () => {
    const { issue } = fixture('issues.labeled.json');
    expect(labelTrust(DEFAULT, { login: 'github-actions[bot]', type: 'Bot' }, issue).trusted).toBe(false);
    expect(labelTrust({ ...DEFAULT, logins: ['labeler[bot]'] }, { login: 'labeler[bot]', type: 'Bot' }, issue).trusted).toBe(true);
    const ownersOnly: GithubTrust = { associations: ['OWNER', 'MEMBER'], logins: ['lead'] };
    const narrowed = labelTrust(ownersOnly, person('maintainer'), issue);
    expect(narrowed.trusted).toBe(false);
    expect(narrowed.reason).toContain('GITHUB_TRUSTED_LOGINS');
    expect(labelTrust(ownersOnly, person('Lead'), issue).trusted).toBe(true);
    expect(labelTrust(DEFAULT, undefined, issue).trusted).toBe(false);
  });
});
