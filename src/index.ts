/**
 * Fulcrum as a library: start a load balancer, a simulated LLM server, or load a config file the way the CLI
 * does.
 */

export { strategyNames } from './balancer/registry.js';
export type { Strategy, StrategyDefinition } from './balancer/strategy.js';
export { ConfigError } from './config/errors.js';
export { loadConfig } from './config/load.js';
export type { Config } from './config/schema.js';
export type { ConfigInput, FulcrumHandle, FulcrumOptions } from './server/fulcrum.js';
export { startFulcrum } from './server/fulcrum.js';
export type { SimHandle, SimOptions, SimStats } from './sim/index.js';
export { startSim } from './sim/index.js';
