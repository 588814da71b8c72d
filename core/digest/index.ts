/** Daily digests: schedule, plan, exactly-once delivery (see service.ts and run.ts). */
export { DIGEST_RATE_PER_SECOND, DigestService, type DigestServiceOptions } from './service.js';
export {
  QuietHoursService,
  parseQuietCommand,
  parseQuietRange,
  quietCommand,
  quietUntil,
  type QuietHours,
} from './quiet.js';
export { chatOffsetMinutes, planSlot, type SlotPlan, type SpreadPolicy } from './spread.js';
export { DigestPlanner } from './plan.js';
export { blendSubject } from './blend.js';
export { addDays, formatTime, isTimeZone, localParts, parseTime, partOfDay, zonedInstant } from './time.js';
export {
  DeliveryError,
  MAX_PART_FAILURES,
  RETRY_OUTCOMES,
  chatKeyOf,
  type ChatOutcome,
  type DigestChat,
  type DigestPart,
  type DigestRun,
  type DigestScan,
  type DigestSchedule,
  type DigestSender,
  type PartResult,
  type TickReport,
} from './types.js';
