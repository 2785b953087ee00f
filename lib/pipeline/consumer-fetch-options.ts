/**
 * The kafkajs consumer settings a config file's [consumer] section gives (group and timeouts
 * aside from the group id), with this toolkit's defaults. Its own module so the benchmark's raw
 * kafkajs consume runs with exactly the settings the pipeline runs with.
 */
import type { ConsumerConfig } from 'kafkajs';
import type { ConsumerOptions } from '../config/kafka-options.js';

export function consumerFetchOptions(c: Partial<ConsumerOptions>): Partial<ConsumerConfig> {
  return {
    // 10 s (kafkajs: 30 s): a restart after a crash waits this long for the dead member's
    // partitions. Heartbeats go on while the pipeline is busy, so a short timeout is safe.
    sessionTimeout: c.sessionTimeout ?? 10_000,
    ...(c.heartbeatInterval !== undefined && { heartbeatInterval: c.heartbeatInterval }),
    ...(c.rebalanceTimeout !== undefined && { rebalanceTimeout: c.rebalanceTimeout }),
    ...(c.maxBytesPerPartition !== undefined && { maxBytesPerPartition: c.maxBytesPerPartition }),
    ...(c.maxBytes !== undefined && { maxBytes: c.maxBytes }),
    ...(c.minBytes !== undefined && { minBytes: c.minBytes }),
    // librdkafka's fetch.wait.max.ms default (kafkajs waits 5 s, which slows every start).
    maxWaitTimeInMs: c.maxWaitTimeInMs ?? 500,
  };
}
