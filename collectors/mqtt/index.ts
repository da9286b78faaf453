export { MqttBrokerCollector } from './broker.js';
export type { MqttBrokerOptions } from './broker.js';
export { MqttClientCollector } from './client.js';
export type { MqttClientOptions } from './client.js';
export { messageToItem as mqttMessageToItem, parseTopic, isCityTopic, mayMatchCityTopics, VIGIL_TOPICS } from './topics.js';
export type { TopicClaim } from './topics.js';
export { checkAedesInternals } from './internals.js';
export { filterCovers } from './acl.js';
