/**
 * `fulcrum serve`: load the config (file + flags), start the instance, and run until SIGTERM/SIGINT, which
 * start a graceful shutdown (a second signal exits at once). With no config file and no `--backend`, it runs
 * the demo: three simulated LLM servers behind Fulcrum.
 */
import { ConfigError } from '../config/errors.js';
import { parseServeArgs, serveHelp } from '../config/flags.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { type FulcrumHandle, startFulcrum } from '../server/fulcrum.js';
import { type Demo, demoCurl, startDemoBackends } from './demo.js';

export async function run(argv: string[]): Promise<number> {
  let config: Config;
  let demo: Demo | undefined;
  try {
    const { flags, help } = parseServeArgs(argv);
    if (help) {
      console.log(serveHelp());
      return 0;
    }
    config = await loadConfig({ flags, onWarning: (w) => console.error(`warning: ${w}`) });
    if (flags.config === undefined && flags.backends === undefined && config.endpoints.length === 0) {
      demo = await startDemoBackends();
      config = { ...config, endpoints: demo.endpoints };
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`fulcrum serve: invalid configuration\n${err.message}`);
      return 1;
    }
    throw err;
  }

  let handle: FulcrumHandle;
  try {
    handle = await startFulcrum(config);
  } catch (err) {
    await demo?.close();
    console.error(`fulcrum serve: ${(err as Error).message}`);
    return 1;
  }

  // Last-resort handlers: a bug in one request's path must not take down every other request.
  process.on('uncaughtException', (err) => {
    handle.metrics.countUncaughtError();
    console.error(`fulcrum: uncaught exception: ${err.stack ?? err.message}`);
  });
  process.on('unhandledRejection', (reason) => {
    handle.metrics.countUncaughtError();
    console.error(`fulcrum: unhandled rejection: ${String(reason)}`);
  });

  const endpoints = handle.pool.endpoints.map((e) => e.name).join(', ');
  console.log(
    `Fulcrum listening on ${handle.url} (strategy ${config.strategy.name}; endpoints: ${endpoints || 'none'})`,
  );
  if (handle.adminUrl) console.log(`Admin API on ${handle.adminUrl}`);
  if (demo) {
    console.log('Demo mode: three simulated LLM servers (2× H100, 1× A100 profile). Try:');
    console.log(`  ${demoCurl(handle.url.replace('0.0.0.0', 'localhost'))}`);
  }

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        console.error(`fulcrum: second ${signal}, exiting now`);
        process.exit(1);
      }
      stopping = true;
      console.error(`fulcrum: ${signal} received, draining (up to ${config.shutdown.graceMs} ms)`);
      handle
        .shutdown()
        .then(() => demo?.close())
        .then(
          () => resolve(0),
          () => resolve(1),
        );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}
