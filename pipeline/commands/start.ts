import type { Command } from 'commander';
import { resolveConfig, type VigilConfigInput } from '../config.js';
import { createLogger } from '../logger.js';
import { VigilNode } from '../node.js';
import { intOption } from './options.js';

export function register(program: Command): void {
  program
    .command('start')
    .description('run a Vigil node: collectors, pipeline, store, API and dashboards on one machine')
    .option('--demo', 'also run the city simulator into the pipeline')
    .option('--data-dir <dir>', 'where the database, ledger and model live', './data')
    .option('--port <port>', 'HTTP port for /ingest, /metrics, /healthz, the API and dashboards', intOption('--port', 0, 65_535), 4000)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .action(async (opts: { demo?: boolean; dataDir: string; port: number; host: string }) => {
      const input: VigilConfigInput = { dataDir: opts.dataDir, api: { port: opts.port, host: opts.host }, demo: { enabled: opts.demo === true } };
      const config = resolveConfig(input);
      const logger = createLogger();
      const node = await VigilNode.start(config, { logger });
      const url = node.url;
      process.stdout.write(
        [
          `Vigil is running${config.demo.enabled ? ' with the city simulator' : ''}. Data in ${config.dataDir}`,
          `  health     ${url}/healthz`,
          `  metrics    ${url}/metrics`,
          `  ingest     POST ${url}/ingest  (NDJSON or a JSON array)`,
          'Stop with Ctrl-C.',
          '',
        ].join('\n'),
      );
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          logger.info({ signal }, 'stopping');
          node.stop().then(resolve, (err: unknown) => {
            logger.error({ err }, 'stop failed');
            process.exitCode = 1;
            resolve();
          });
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
    });
}
