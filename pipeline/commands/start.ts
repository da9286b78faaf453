import { Option, type Command } from 'commander';
import { COMMAND_DEFAULTS, DEMO_DEFAULTS, DEFAULT_DATA_DIR, configFromFlags, loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { VigilNode } from '../node.js';
import { ensureDemoTokens } from '../demo.js';
import { ensureDemoSensorKey } from '../demo-sensor.js';
import { intOption } from './options.js';

export function register(program: Command): void {
  program
    .command('start')
    .description('run a Vigil node: collectors, pipeline, store, API and dashboards on one machine')
    .option('--demo', 'also run the city simulator into the pipeline')
    .option('--data-dir <dir>', 'where the database, ledger and model live', DEFAULT_DATA_DIR)
    .option('--port <port>', 'HTTP port for /ingest, /metrics, /healthz, the API and dashboards', intOption('--port', 0, 65_535), 4000)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--require-keys', 'HTTP ingest and MQTT take only senders with a sensor key (`vigil sensor create`)')
    .option('--insecure-open', 'let collectors that authenticate nobody listen on a non-loopback address')
    .option('--preserve-original <sources>', 'keep each event\'s raw input as ECS event.original for these sources: http,mqtt,syslog,kafka (about doubles the bytes stored)')
    // Configuration layers: --config FILE (else ./vigil.config.json|.yaml), then VIGIL_* variables, then these flags.
    .option('--config <file>', 'configuration file (JSON or YAML); default ./vigil.config.json or ./vigil.config.yaml if present')
    .option('--mqtt-port <port>', 'embedded MQTT broker port', intOption('--mqtt-port', 0, 65_535), 1883)
    .option('--mqtt-host <address>', 'embedded MQTT broker address', '127.0.0.1')
    .option('--no-mqtt-broker', 'do not run the embedded MQTT broker')
    .option('--mqtt-tls-key <file>', 'PEM key: the broker speaks MQTT over TLS (with --mqtt-tls-cert)')
    .option('--mqtt-tls-cert <file>', 'PEM certificate for --mqtt-tls-key')
    .option('--mqtt-username <name>', 'username MQTT clients must connect with (with --mqtt-password)')
    .option('--mqtt-password <password>', 'password MQTT clients must connect with (prefer VIGIL_MQTT_PASSWORD: flags show in ps)')
    .option('--mqtt-url <url>', 'also subscribe to an external broker, e.g. mqtt://user:pass@broker:1883')
    .option('--syslog-port <port>', 'syslog UDP and TCP port', intOption('--syslog-port', 0, 65_535), 5514)
    .option('--syslog-host <address>', 'syslog address', '127.0.0.1')
    .option('--no-syslog', 'do not listen for syslog')
    .option('--kafka-brokers <list>', 'Kafka bootstrap brokers, host:port,host:port')
    .option('--kafka-topics <list>', 'Kafka topics to consume input from (comma-separated)')
    .option('--bus <type>', 'event bus to the detector: memory or kafka')
    .option('--rules <DIR...>', 'extra Sigma rule folders or files, loaded after the starter pack and <data-dir>/rules')
    .addOption(new Option('--detector-thread <WHERE>', 'where the detector scores: worker (its own thread, both cores) or inline (the event loop)').choices(['worker', 'inline']))
    .option('--city <CITY.geojson>', 'the city file: roads, speed limits, roadside units, service area (vigil city import makes one from OpenStreetMap)')
    .action(async (opts: Record<string, unknown> & { config?: string }, cmd: Command) => {
      // Owner-only for everything the node creates (database and its -wal/-shm, ledger, model,
      // rules, tokens): the store and ledger also set their modes explicitly; this covers the rest.
      process.umask(0o077);
      const flags = configFromFlags(opts, (option) => cmd.getOptionValueSource(option) === 'cli');
      // --demo adds a local chain to anchor to and two witnesses, under whatever the file, environment and flags say.
      const defaults = opts['demo'] === true ? { ...COMMAND_DEFAULTS, ...DEMO_DEFAULTS } : COMMAND_DEFAULTS;
      const config = loadConfig({ ...(opts.config !== undefined ? { file: opts.config } : {}), flags, defaults });
      const logger = createLogger();
      const node = await VigilNode.start(config, { logger });
      const url = node.url;
      const demoTokens = config.demo.enabled ? ensureDemoTokens(node.store, config.dataDir, Date.now) : undefined;
      // The node's timer ledgers the new key within a second; it works from then on.
      const demoSensor = config.demo.enabled ? ensureDemoSensorKey(node.sensorKeys, config.dataDir, Date.now) : undefined;
      const open = node.openListeners.map((l) => `${l.what} on ${l.host}`);
      process.stdout.write(
        [
          `Vigil is running${config.demo.enabled ? ' with the city simulator' : ''}. Data in ${config.dataDir}`,
          `  dashboards ${url}/  (sign in with a token from \`vigil token create\`)`,
          `  graphql    ${url}/graphql  (Authorization: Bearer <token>)`,
          `  health     ${url}/healthz`,
          `  metrics    ${url}/metrics`,
          `  ingest     POST ${url}/ingest  (NDJSON or a JSON array)`,
          ...(demoTokens ? [`  tokens     ${demoTokens.path}  (one per role${demoTokens.created ? ', made now' : ''}; readable only by you)`] : []),
          ...(demoSensor ? [`  sensor key ${demoSensor.path}  (for ingest with --require-keys and MQTT subscriptions; readable only by you)`] : []),
          ...(node.mqttBroker ? [`  mqtt       ${config.mqtt.broker.tls ? 'mqtts' : 'mqtt'}://${config.mqtt.broker.host}:${node.mqttBroker.port}  (city/v2x/<vehicle>/bsm, city/iot/<device>/<kind>)`] : []),
          ...(config.mqtt.client.url !== undefined ? [`  mqtt in    subscribed to ${config.mqtt.client.url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@')}`] : []),
          ...(node.syslog && (config.syslog.udp || config.syslog.tcp) ? [`  syslog     ${config.syslog.host}:${node.syslog.ports.udp || node.syslog.ports.tcp} (${[config.syslog.udp && 'UDP', config.syslog.tcp && 'TCP'].filter(Boolean).join(' and ')})`] : []),
          ...(node.syslog && config.syslog.tls ? [`  syslog tls ${config.syslog.host}:${node.syslog.ports.tls} (RFC 5425, client certificates required)`] : []),
          ...(config.kafka.topics.length > 0 ? [`  kafka      consuming ${config.kafka.topics.join(', ')} from ${config.kafka.brokers.join(',')}`] : []),
          ...anchorLines(node, config, url),
          ...(config.sources.length > 0 ? [`  config     ${config.sources.join(', ')}`] : []),
          ...(open.length > 0
            ? [
                '',
                '  !!! OPEN INGEST: anyone who can reach these takes part in what the ledger proves:',
                ...open.map((o) => `  !!!   ${o}`),
                '  !!! Fine for the demo on loopback; a deployment sets --require-keys and syslog.tls (README, "Securing a deployment").',
                '',
              ]
            : []),
          'Stop with Ctrl-C.',
          '',
        ].join('\n'),
      );
      // The demo's token actions reach the ledger now rather than at the next 2 s sweep.
      if (demoTokens?.created) void node.analysis?.appendPendingActions();
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

/** What `vigil start` says about anchors and witnesses: plainly, when neither guards against a rollback. */
function anchorLines(node: VigilNode, config: ReturnType<typeof loadConfig>, url: string): string[] {
  const witnesses = config.witnesses.urls.length + config.witnesses.local;
  const lines: string[] = [];
  const chain = node.anchoring?.chain;
  if (chain) lines.push(`  anchors    chain ${chain.chainId} via ${chain.browserRpcUrl}, contract ${chain.contract}${chain.anvil ? ' (local anvil)' : ''}  (${url}/anchors.json)`);
  if (witnesses > 0) lines.push(`  witnesses  ${witnesses} (${config.witnesses.local} beside this node)`);
  if (!chain && witnesses === 0) lines.push('  anchors    off, and no witnesses: a rollback of the ledger could not be detected (see README, "Anchors on chain and witnesses")');
  return lines;
}
