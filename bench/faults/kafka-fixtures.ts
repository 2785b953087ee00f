/**
 * The harness's own Kafka client: create topics, produce prepared records (explicit partition,
 * or partitioned by file as the toolkit's uploader does), delete records below an offset, and
 * read a group's committed offsets against the topic's log start and end.
 */
import kafkajs, { type Admin, type ITopicConfig, type Kafka } from 'kafkajs';
import { createKafka } from '../../lib/kafka/kafka-client.js';
import { createTopic } from '../../lib/kafka/create-topic.js';
import { FilePartitioner } from '../../lib/producer/file-partitioner.js';

const { CompressionTypes } = kafkajs;

export interface RawRecord {
  key: string | null;
  value: Buffer | null;
  partition?: number;
}

export interface PartitionOffsets {
  partition: number;
  /** Log start offset (retention moves it). */
  low: bigint;
  /** Log end offset. */
  high: bigint;
  /** The group's committed offset, -1 when none. */
  committed: bigint;
}

export class KafkaFixtures {
  readonly kafka: Kafka;

  constructor(brokers: string[]) {
    this.kafka = createKafka({ brokers, clientId: 'dfs-faults', retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 3000 } });
  }

  async withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      return await fn(admin);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Creates the topic and waits until every partition has a leader (a broker just started may take a while). */
  async createTopic(topic: string, numPartitions: number, configEntries: ITopicConfig['configEntries'] = []): Promise<void> {
    await this.withAdmin(async (admin) => {
      await createTopic(admin, { topic, numPartitions, configEntries });
    });
  }

  /**
   * Produces in order, in batches of `batch` records per request. Records without a partition
   * go where the toolkit's FilePartitioner puts them (every chunk of a file on one partition).
   */
  async produce(topic: string, records: RawRecord[], batch = 50): Promise<void> {
    const producer = this.kafka.producer({ allowAutoTopicCreation: false, createPartitioner: FilePartitioner });
    await producer.connect();
    try {
      for (let i = 0; i < records.length; i += batch) {
        const messages = records.slice(i, i + batch).map((r) => ({ key: r.key, value: r.value, ...(r.partition !== undefined && { partition: r.partition }) }));
        await producer.send({ topic, compression: CompressionTypes.LZ4, messages });
      }
    } finally {
      await producer.disconnect().catch(() => undefined);
    }
  }

  /**
   * Produces records that all name their partition, in order, and returns each record's offset
   * (from the broker's acknowledgements), aligned with `records`.
   */
  async produceTracked(topic: string, records: RawRecord[], batch = 100): Promise<string[]> {
    const producer = this.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const offsets: string[] = new Array(records.length);
    try {
      for (let i = 0; i < records.length; i += batch) {
        const slice = records.slice(i, i + batch).map((r, k) => ({ r, index: i + k }));
        const byPartition = new Map<number, typeof slice>();
        for (const item of slice) {
          if (item.r.partition === undefined) throw new Error('produceTracked needs an explicit partition on every record');
          byPartition.set(item.r.partition, [...(byPartition.get(item.r.partition) ?? []), item]);
        }
        for (const [partition, items] of byPartition) {
          const [meta] = await producer.send({ topic, compression: CompressionTypes.LZ4, messages: items.map(({ r }) => ({ key: r.key, value: r.value, partition })) });
          const base = BigInt(meta!.baseOffset ?? '0');
          items.forEach((item, k) => (offsets[item.index] = String(base + BigInt(k))));
        }
      }
    } finally {
      await producer.disconnect().catch(() => undefined);
    }
    return offsets;
  }

  async offsets(topic: string, group: string): Promise<PartitionOffsets[]> {
    return this.withAdmin(async (admin) => {
      const ends = await admin.fetchTopicOffsets(topic);
      const committed = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      const byPartition = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
      return ends
        .map((e) => ({ partition: e.partition, low: BigInt(e.low), high: BigInt(e.high), committed: byPartition.get(e.partition) ?? -1n }))
        .sort((a, b) => a.partition - b.partition);
    });
  }

  /** Records present in the log that the group has not committed past. */
  async uncommitted(topic: string, group: string): Promise<number> {
    let total = 0n;
    for (const p of await this.offsets(topic, group)) {
      const from = p.committed > p.low ? p.committed : p.low;
      if (p.high > from) total += p.high - from;
    }
    return Number(total);
  }

  async deleteRecordsBelow(topic: string, partition: number, offset: bigint): Promise<void> {
    await this.withAdmin(async (admin) => {
      await admin.fetchTopicMetadata({ topics: [topic] }); // deleteTopicRecords needs it loaded
      await admin.deleteTopicRecords({ topic, partitions: [{ partition, offset: String(offset) }] });
    });
  }
}
