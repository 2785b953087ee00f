/**
 * Whether a freshly started broker can host partitions yet. Answering a metadata request (what
 * kafka-probe.ts checks) comes first; for a few seconds after that a new topic may still fail with
 * "This server does not host this topic-partition". A start therefore also waits until a small
 * probe topic (`__datafile_stream_ready`, one partition, kept) has a leader.
 *
 * In: the port, a deadline, and for a secured broker its CA and a user. Out: true once the probe topic has a leader, false at the deadline.
 */
import kafkajs from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTopic } from '../kafka/create-topic.js';
import type { ProbeSecurity } from './kafka-probe.js';

export const READY_TOPIC = '__datafile_stream_ready';

export async function hostsPartitions(port: number, deadline: number, security?: ProbeSecurity): Promise<boolean> {
  const kafka = new kafkajs.Kafka({ brokers: [`127.0.0.1:${port}`], clientId: 'datafile-stream-ready', logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 0 }, ...security });
  const admin = kafka.admin();
  try {
    await admin.connect();
    while (Date.now() < deadline) {
      try {
        await createTopic(admin, { topic: READY_TOPIC, numPartitions: 1 }, 5000);
        return true;
      } catch {
        // not ready yet
      }
      await sleep(250);
    }
    return false;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
