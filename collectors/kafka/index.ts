export { KafkaCollector, messageToItem as kafkaMessageToItem } from './consumer.js';
export type { KafkaCollectorOptions, KafkaClientPort, KafkaConsumerPort } from './consumer.js';
