/**
 * Client mode: subscribe to an external broker (mosquitto, EMQX, a cloud IoT hub) by URL
 * with the `mqtt` package, for cities whose devices already publish there.
 *
 * Acknowledge only what is stored: mqtt.js sends a QoS 1 PUBACK (QoS 2 PUBREC) only when
 * `handleMessage`'s callback is called (build/lib/handlers/publish.js), and here that is
 * after the pipeline's commit. The session is persistent (clean: false, a stable client
 * id) so the broker keeps and redelivers what was not acknowledged while Vigil was down.
 *
 * mqtt.js handles one incoming message at a time per connection, so one connection stores
 * one message per commit. For more throughput use `connections` > 1: the subscriptions
 * become MQTT 5 / mosquitto shared subscriptions (`$share/<group>/<topic>`), the broker
 * spreads messages over the connections, and the pipeline commits them together.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { originalBound, type PreserveOriginalOptions, type ResolvedValidationOptions } from '../../events/index.js';
import { CollectorError } from '../errors.js';
import type { EventSource, IngestSink } from '../sink.js';
import { SubmitBatcher } from './batcher.js';
import { VIGIL_TOPICS, messageToItem } from './topics.js';

/** `preserveOriginal`: each message's payload is kept as `event.original`. */
export interface MqttClientOptions extends PreserveOriginalOptions {
  /** The broker, e.g. `mqtt://broker:1883` or `mqtts://user:pass@broker:8883`. */
  url: string;
  username?: string;
  password?: string;
  /** PEM CA certificate(s) to trust for `mqtts://`. */
  ca?: string | Buffer;
  /** Client id (with `-<n>` appended per connection); stable, so the broker keeps the session. @default 'vigil' */
  clientId?: string;
  /** Topic filters to subscribe to. @default ['city/v2x/+/bsm', 'city/iot/+/+'] */
  topics?: readonly string[];
  /** Parallel connections sharing the subscriptions (`$share/<shareGroup>/…`). @default 1 */
  connections?: number;
  /** Shared-subscription group name. @default 'vigil' */
  shareGroup?: string;
  /** How long start() waits for the first connection, milliseconds. @default 10000 */
  connectTimeoutMs?: number;
  /** Source name in metrics and dead letters. @default 'mqtt-client' */
  source?: string;
}

export class MqttClientCollector implements EventSource {
  readonly name: string;
  private readonly clients: MqttClient[] = [];
  private batcher: SubmitBatcher | undefined;
  private readonly connections: number;

  constructor(
    private readonly validation: ResolvedValidationOptions,
    private readonly options: MqttClientOptions,
    private readonly onError: (err: unknown, context: string) => void = () => {},
  ) {
    this.name = options.source ?? 'mqtt-client';
    this.connections = options.connections ?? 1;
    if (!/^(mqtts?|wss?|tcp|ssl):\/\//.test(options.url)) {
      throw new CollectorError('BAD_OPTION', `mqtt client option url: expected mqtt://, mqtts://, ws:// or wss://, got ${JSON.stringify(options.url)}`, false);
    }
    if (!Number.isInteger(this.connections) || this.connections < 1 || this.connections > 64) {
      throw new CollectorError('BAD_OPTION', `mqtt client option connections: expected 1 to 64, got ${this.connections}`, false);
    }
  }

  async start(sink: IngestSink): Promise<void> {
    // One message per connection is in flight at a time: batches are small, flushed at once.
    this.batcher = new SubmitBatcher(sink, this.name, Math.max(1, this.connections), originalBound(this.options));
    const topics = this.options.topics ?? VIGIL_TOPICS;
    const filters = this.connections > 1 ? topics.map((t) => `$share/${this.options.shareGroup ?? 'vigil'}/${t}`) : [...topics];
    try {
      await Promise.all(Array.from({ length: this.connections }, (_, i) => this.connect(i, filters)));
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    await this.batcher?.drain();
    const clients = this.clients.splice(0);
    await Promise.all(clients.map((c) => c.endAsync(false).catch(() => c.end(true))));
  }

  private async connect(index: number, filters: string[]): Promise<void> {
    const base = this.options.clientId ?? 'vigil';
    const opts: IClientOptions = {
      clientId: this.connections > 1 ? `${base}-${index}` : base,
      clean: false,
      reconnectPeriod: 1000,
      connectTimeout: this.options.connectTimeoutMs ?? 10_000,
      // Resubscribe ourselves after a reconnect only if the broker lost the session.
      resubscribe: true,
      ...(this.options.username !== undefined ? { username: this.options.username } : {}),
      ...(this.options.password !== undefined ? { password: this.options.password } : {}),
      ...(this.options.ca !== undefined ? { ca: this.options.ca } : {}),
    };
    const client = mqtt.connect(this.options.url, opts);
    this.clients.push(client);
    client.handleMessage = (packet, callback) => {
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload, 'utf8') : packet.payload;
      const item = messageToItem(packet.topic, payload, this.validation);
      this.batcher!.add(item, (err) => {
        if (!err) return callback();
        // Not stored: no PUBACK. Dropping the connection makes the broker redeliver on reconnect.
        this.onError(err, 'mqtt client store');
        client.stream.destroy();
      });
    };
    client.on('error', (err) => this.onError(err, 'mqtt client'));
    await new Promise<void>((resolve, rejectConnect) => {
      const timer = setTimeout(() => {
        client.removeListener('connect', onConnect);
        rejectConnect(new CollectorError('CONNECTION_FAILED', `mqtt client: no connection to ${redact(this.options.url)} within ${opts.connectTimeout} ms`, true));
      }, opts.connectTimeout);
      const onConnect = () => {
        clearTimeout(timer);
        resolve();
      };
      client.once('connect', onConnect);
    });
    const granted = await client.subscribeAsync(filters, { qos: 1 });
    const refused = granted.filter((g) => g.qos === 128);
    if (refused.length > 0) {
      throw new CollectorError('CONNECTION_FAILED', `mqtt client: the broker refused the subscription to ${refused.map((g) => g.topic).join(', ')}`, false);
    }
  }
}

/** A URL without its password, for messages and logs. */
function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
