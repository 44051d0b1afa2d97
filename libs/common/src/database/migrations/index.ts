import { CoreSchema1764000000000 } from './1764000000000-core-schema';
import { ClaimIndex1764000000001 } from './1764000000001-claim-index';
import { JobPatch1764000000002 } from './1764000000002-job-patch';
import { TeamRecords1764000000003 } from './1764000000003-team-records';
import { AccessAndIntake1764000000004 } from './1764000000004-access-and-intake';
import { ChatNotificationsMetrics1764000000005 } from './1764000000005-chat-notifications-metrics';
import { WorkerFacts1764000000006 } from './1764000000006-worker-facts';
import { RunsAndChatSpend1764000000016 } from './1764000000016-runs-and-chat-spend';
import { EscalationEvents1764000000017 } from './1764000000017-escalation-events';
import { LedgerMerkleLog1764000000018 } from './1764000000018-ledger-merkle-log';
import { JobDelegation1764000000021 } from './1764000000021-job-delegation';
import { NotificationContext1764000000030 } from './1764000000030-notification-context';

/** Every migration, in order. Listed explicitly, never globbed. */
export const MIGRATIONS = [
  CoreSchema1764000000000,
  ClaimIndex1764000000001,
  JobPatch1764000000002,
  TeamRecords1764000000003,
  AccessAndIntake1764000000004,
  ChatNotificationsMetrics1764000000005,
  WorkerFacts1764000000006,
  RunsAndChatSpend1764000000016,
  EscalationEvents1764000000017,
  LedgerMerkleLog1764000000018,
  JobDelegation1764000000021,
  NotificationContext1764000000030,
];
