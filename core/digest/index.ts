/** Daily digests: schedule, plan, exactly-once delivery (see service.ts and run.ts). */
export { DigestService, type DigestServiceOptions } from './service.js';
export { DigestPlanner } from './plan.js';
export { blendSubject } from './blend.js';
export { addDays, formatTime, isTimeZone, localParts, parseTime } from './time.js';
export {
  DeliveryError,
  MAX_PART_FAILURES,
  chatKeyOf,
  type ChatOutcome,
  type DigestChat,
  type DigestPart,
  type DigestRun,
  type DigestSchedule,
  type DigestSender,
  type PartResult,
  type TickReport,
} from './types.js';
