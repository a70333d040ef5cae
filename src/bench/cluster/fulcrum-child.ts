/** Child process: one Fulcrum instance, the config given as a JSON argument; reports its data-plane URL. */
import { startFulcrum } from '../../server/fulcrum.js';
import { failHelper, serveHelper } from './child.js';

async function main(): Promise<void> {
  const fulcrum = await startFulcrum(JSON.parse(process.argv[2] ?? '{}'));
  serveHelper(
    { url: fulcrum.url },
    () => undefined,
    () => fulcrum.close(),
  );
}

main().catch(failHelper);
