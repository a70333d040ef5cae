/** Health: active probes with model discovery, and passive outlier ejection. See each file's header. */
export { ActiveHealth, type ActiveHealthOptions } from './active.js';
export { ModelDiscovery, type ModelDiscoveryOptions, parseModelList } from './models.js';
export { MAX_RETRY_AFTER_MS, PassiveHealth, type PassiveHealthOptions } from './passive.js';
export { type Schedule, systemSchedule } from './timers.js';
