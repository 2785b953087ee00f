/**
 * `datafile-stream/broker`: a local single-node Kafka for development and tests (fetches the
 * Kafka jars, starts, stops and probes a KRaft broker), behind its own entry so that an app
 * streaming files to its own cluster never loads the tooling.
 */
export {
  startBroker,
  stopBroker,
  brokerStatus,
  KAFKA_VERSION,
  DEFAULT_BROKER_PORT,
  type LocalBrokerOptions,
  type StartBrokerResult,
  type StopBrokerResult,
  type BrokerStatus,
} from './broker/local-kafka.js';
