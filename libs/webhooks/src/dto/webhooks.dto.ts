import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EnumField, IntField, JOB_MODES, JobMode, StringField } from '@app/common';
import { REPO_PATTERN } from '@app/jobs';

/** Body of `POST /api/webhooks/generic`, signed with X-AICT-Signature: sha256=HMAC(secret, "<timestamp>.<body>"). */
export class GenericWebhookRequest {
  @StringField({ description: 'What to do, in plain words (treated as untrusted input)', minLength: 1, maxLength: 10_000 })
  goal: string;

  @StringField({
    description: 'Repository: a server-side absolute path or a git URL',
    minLength: 1,
    maxLength: 2_000,
    pattern: REPO_PATTERN,
    patternHint: 'repo must be an absolute server path or a git URL',
  })
  repo: string;

  @EnumField({ description: 'mechanic or genius; default from the request', values: JOB_MODES, enumName: 'JobMode', optional: true })
  mode?: JobMode;

  @StringField({
    description: 'Unique id of this delivery; a second delivery with the same id is refused (409)',
    minLength: 1,
    maxLength: 200,
  })
  deliveryId: string;

  @IntField({ description: 'Unix time (seconds) of sending; refused when more than 5 minutes from now', min: 0, max: 99_999_999_999 })
  timestamp: number;
}

/** What a webhook delivery became. */
export class WebhookResultView {
  @ApiProperty({ description: 'True when the delivery was valid but not something that starts a job' }) ignored: boolean;
  @ApiPropertyOptional({ format: 'uuid' }) jobId?: string;
  @ApiPropertyOptional() status?: string;
  @ApiPropertyOptional({ description: 'Why it was ignored' }) reason?: string;
}
