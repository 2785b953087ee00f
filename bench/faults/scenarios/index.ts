/** The fault matrix, in the order. */
import type { Scenario } from '../scenario.js';
import { randomKills } from './s01-random-kills.js';
import { crashPoints } from './s02-crash-points.js';
import { brokerKill } from './s03-broker-kill.js';
import { pausedMember } from './s04-paused-member.js';
import { groupMemberKills } from './s05-group-member-kills.js';
import { poisonAndFlaky } from './s06-poison-flaky.js';
import { hangingProcessor } from './s07-hanging-processor.js';
import { fullDisk } from './s08-full-disk.js';
import { hostileRecords } from './s09-hostile-records.js';
import { retentionGap } from './s10-retention-gap.js';
import { reproducerKills } from './s11-reproducer-kills.js';

export const SCENARIOS: Scenario[] = [randomKills, crashPoints, brokerKill, pausedMember, groupMemberKills, poisonAndFlaky, hangingProcessor, fullDisk, hostileRecords, retentionGap, reproducerKills];
