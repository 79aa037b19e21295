/**
 * Schedules: semantic validation, compiled fire times (with chime's DST rule)
 * and previews.
 */
export { validateSchedule } from './validate.js';
export { compileSchedule, type FireTimes } from './fire-times.js';
export { nextFireTimes, type FirePreview, type NextFireTimesOptions } from './preview.js';
export { isValidTimeZone } from './zone.js';
