/**
 * LibrdkafkaAdmin: a kafkajs `Admin` as far as the toolkit uses one, run by librdkafka through
 * `@confluentinc/kafka-javascript`, with a documented fallback for what that API lacks.
 *
 * In: the inner admin, and a factory for a kafkajs admin on the same connection settings.
 * Out: connect, disconnect, listTopics, createTopics, fetchTopicMetadata, fetchTopicOffsets,
 * deleteTopics, fetchOffsets (every partition, as kafkajs), deleteTopicRecords (passed through; the fault matrix's retention
 * scenario removes records with it), describeCluster, describeConfigs, describeGroups
 * and setOffsets.
 *
 * Its KafkaJS API has neither describeCluster nor describeConfigs. The toolkit asks them once
 * per upload, to learn whether the broker creates topics (ensure-topic.ts), so they go to a
 * kafkajs admin (kafkajs is always installed) built from the same brokers, TLS and SASL
 * settings, connected on first use and closed with this one. describeGroups (the bench's group
 * clock asks whether a consumer joined) and setOffsets (its test commits for a group) go there
 * too: the binding's describeGroups answers in its own shape (a numeric state), and it has no
 * setOffsets. fetchTopicMetadata's answer is a
 * bare list there, `{ topics }` in kafkajs. Errors carry kafkajs's types (librdkafka-errors.ts).
 * createTopics drops kafkajs's
 * `waitForLeaders`, which librdkafka refuses: create-topic.ts waits for leaders itself.
 */
import type { Admin, DescribeConfigResponse, ITopicConfig, ITopicMetadata } from 'kafkajs';
import { kafkajsErrors } from './librdkafka-errors.js';

type DescribeCluster = Awaited<ReturnType<Admin['describeCluster']>>;

export class LibrdkafkaAdmin {
  readonly #inner: Admin;
  readonly #makeFallback: () => Admin;
  #fallback: Promise<Admin> | undefined;

  constructor(inner: Admin, makeFallback: () => Admin) {
    this.#inner = inner;
    this.#makeFallback = makeFallback;
  }

  connect(): Promise<void> {
    return this.#inner.connect();
  }

  async disconnect(): Promise<void> {
    const fallback = this.#fallback;
    this.#fallback = undefined;
    await Promise.all([this.#inner.disconnect(), fallback?.then((a) => a.disconnect()).catch(() => undefined)]);
  }

  listTopics(): Promise<string[]> {
    return kafkajsErrors(this.#inner.listTopics());
  }

  createTopics(options: { topics: ITopicConfig[]; validateOnly?: boolean; waitForLeaders?: boolean; timeout?: number }): Promise<boolean> {
    const { waitForLeaders: _w, validateOnly: _v, ...rest } = options;
    return kafkajsErrors(this.#inner.createTopics(rest));
  }

  deleteTopics(options: { topics: string[]; timeout?: number }): Promise<void> {
    return kafkajsErrors(this.#inner.deleteTopics(options));
  }

  async fetchTopicMetadata(options?: Parameters<Admin['fetchTopicMetadata']>[0]): Promise<{ topics: ITopicMetadata[] }> {
    const answer: unknown = await kafkajsErrors(this.#inner.fetchTopicMetadata(options ?? ({} as { topics: string[] })));
    return Array.isArray(answer) ? { topics: answer as ITopicMetadata[] } : (answer as { topics: ITopicMetadata[] });
  }

  fetchTopicOffsets(topic: string): ReturnType<Admin['fetchTopicOffsets']> {
    return kafkajsErrors(this.#inner.fetchTopicOffsets(topic));
  }

  /**
   * kafkajs lists every partition of each topic asked, '-1' where the group committed nothing;
   * the binding, given topic names, lists only the partitions the group committed (nothing at
   * all for a new group). So the names become partition lists.
   */
  async fetchOffsets(options: Parameters<Admin['fetchOffsets']>[0]): ReturnType<Admin['fetchOffsets']> {
    if (!options.topics || options.topics.length === 0) return kafkajsErrors(this.#inner.fetchOffsets(options));
    const { topics } = await this.fetchTopicMetadata({ topics: options.topics });
    const byPartition = topics.map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => p.partitionId) }));
    const answer = await kafkajsErrors(this.#inner.fetchOffsets({ ...options, topics: byPartition } as unknown as typeof options));
    // librdkafka's "no offset" is -1001 (RD_KAFKA_OFFSET_INVALID); kafkajs says -1.
    return answer.map((t) => ({ ...t, partitions: t.partitions.map((p) => (p.offset === '-1001' ? { ...p, offset: '-1' } : p)) }));
  }

  async deleteTopicRecords(options: Parameters<Admin['deleteTopicRecords']>[0]): Promise<void> {
    await kafkajsErrors(this.#inner.deleteTopicRecords(options));
  }

  async describeCluster(): Promise<DescribeCluster> {
    return (await this.#kafkajsAdmin()).describeCluster();
  }

  async describeConfigs(options: Parameters<Admin['describeConfigs']>[0]): Promise<DescribeConfigResponse> {
    return (await this.#kafkajsAdmin()).describeConfigs(options);
  }

  async describeGroups(groupIds: string[]): ReturnType<Admin['describeGroups']> {
    return (await this.#kafkajsAdmin()).describeGroups(groupIds);
  }

  async setOffsets(options: Parameters<Admin['setOffsets']>[0]): Promise<void> {
    return (await this.#kafkajsAdmin()).setOffsets(options);
  }

  #kafkajsAdmin(): Promise<Admin> {
    this.#fallback ??= (async () => {
      const admin = this.#makeFallback();
      await admin.connect();
      return admin;
    })();
    this.#fallback.catch(() => (this.#fallback = undefined));
    return this.#fallback;
  }
}
