import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import '@app/agents';
import '@app/auth';
import '@app/chat';
import '@app/intake';
import '@app/jobs';
import '@app/ledger';
import '@app/tdln';
import '@app/tools';
import '@app/webhooks';
import { ambiguousErrorCodes } from '@app/common';

describe('one error shape', () => {
  it('has one exception class, DomainException: modules declare only their codes and the kind of each', () => {
    const files = execFileSync('git', ['ls-files', 'libs', 'apps'], { encoding: 'utf8' })
      .split('\n')
      .filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.d.ts'));
    const subclasses = files.filter((f) => /class \w+ extends DomainException/.test(readFileSync(f, 'utf8')));
    expect(subclasses).toEqual([]);
  });

  it('gives every code one kind, except conversation_not_found, whose throwers name theirs', () => {
    // A missing conversation is a 404 to chat and a bad reference (400) in a new job's request.
    expect(ambiguousErrorCodes()).toEqual(['conversation_not_found']);
  });
});
