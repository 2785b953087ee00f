/**
 * TransactionalResults: a reproducer's results, exactly once. A kafkajs transactional producer
 * (idempotent, one request in flight) takes the place of the consumer's plain offset commit:
 * each commit is one transaction holding the result messages of the files it covers and the
 * consumer offsets past them (`sendOffsets`), so a reader with `isolation.level =
 * read_committed` sees a file's result once, across crashes: either both committed, or neither
 * and the file is read and computed again.
 *
 * Flow: processing computes a file's result and `stash`es it; the file's settlement reaches the
 * committer, which hands it over (`onProcessed`) instead of writing its registry row; `commit`
 * (every commit interval and at the end) takes the files wholly covered by the offered offsets
 * (lib/offsets/covered-files.ts keeps the pipeline's rule: an offset passes a file only once
 * every file below it has cleared, and never passes part of a file whose result is not in the
 * same transaction), commits them with those offsets, then writes their registry rows
 * (LOGS/results_produced_to_<topic>.csv: a log now, not the record of truth; the committed
 * offsets are).
 *
 * The transactional id is derived from the consumer group and this member's output directory and
 * host, so a restarted member fences its dead predecessor's open transaction at once, and two
 * members of one group do not fence each other. Files retried with `--retry_failed` run before
 * the pipeline: each result goes out in a transaction of its own (at least once: no offsets
 * cover a kept file).
 *
 * Engines: both. kafkajs writes the offsets under the group id; librdkafka writes them through
 * the pipeline's consumer (CommitSeamParts.consumer) with its member id and generation, so there
 * the broker also refuses a commit from a member a rebalance has cut off (KIP-447). Each
 * `sendOffsets` is given both the group id and the consumer, and each engine takes what it needs.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { DataFileStreamError, ProcessingError } from '../errors.js';
import { chooseKafkaEngine } from '../config/kafka-engine-option.js';
import { clientSectionOptions } from '../config/kafka-options.js';
import { loadConfig } from '../config/config-file.js';
import { compressionFromName } from '../kafka/compression.js';
import { ensureTopic } from '../kafka/ensure-topic.js';
import { kafkaFromConfig } from '../kafka/kafka-from-config.js';
import { coveredFiles } from '../offsets/covered-files.js';
import type { CommitOffset } from '../offsets/offset-tracker.js';
import type { FileRef, Settlement } from '../pipeline-events.js';
import { registryFile } from '../registry/file-registry.js';
import type { CommitSeam, CommitSeamParts } from '../pipeline/consumer-pipeline-options.js';
import type { ResultProducerOptions } from './result-producer.js';

interface PendingResult {
  ref: FileRef;
  positions: Settlement['positions'];
  key: string;
  value: Buffer | string;
}

export interface TransactionalResultsOptions extends ResultProducerOptions {
  groupId: string;
  outputDir: string;
}

/** The transactional id of one reproducer member: group, producer topic, and where this member keeps its registry. */
export function reproducerTransactionalId(groupId: string, topic: string, outputDir: string): string {
  const member = createHash('sha256').update(`${hostname()}\0${outputDir}`).digest('hex').slice(0, 12);
  return `datafile-stream.reproducer.${groupId}.${topic}.${member}`;
}

export class TransactionalResults {
  readonly topic: string;
  readonly transactionalId: string;
  readonly #producer: Producer;
  readonly #compression: ReturnType<typeof compressionFromName>;
  readonly #logger: Logger;
  /** Computed results by file (path and content), until the file's settlement claims them. */
  readonly #stash = new Map<string, { key: string; value: Buffer | string }>();
  #pending: PendingResult[] = [];

  private constructor(o: TransactionalResultsOptions, transactionalId: string, producer: Producer, compression: ReturnType<typeof compressionFromName>) {
    this.topic = o.topic;
    this.transactionalId = transactionalId;
    this.#producer = producer;
    this.#compression = compression;
    this.#logger = o.logger;
  }

  static async open(o: TransactionalResultsOptions): Promise<TransactionalResults> {
    const engine = chooseKafkaEngine({ flag: o.kafkaEngine, config: clientSectionOptions(loadConfig(o.config, process.env, { expand: [] }).sections).engine });
    const setup = kafkaFromConfig(o.config, 'producer', o.logger, { allowPlaintext: o.allowPlaintext === true, engine });
    await ensureTopic(setup.kafka, o.topic);
    const transactionalId = reproducerTransactionalId(o.groupId, o.topic, o.outputDir);
    const producer = setup.kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    o.logger.info({ transactionalId }, 'results and offsets commit in one transaction (exactly once for read_committed readers)');
    return new TransactionalResults(o, transactionalId, producer, compressionFromName(setup.producer.compression));
  }

  /** A file's computed result, kept until its settlement reaches the commit. */
  stash(file: { relativeFilepath: string; fileHash: Buffer }, key: string, value: Buffer | string): void {
    this.#stash.set(stashKey(file.relativeFilepath, file.fileHash), { key, value });
  }

  /** One result in a transaction of its own (a kept failed file, retried before the pipeline runs). */
  async sendAlone(key: string, value: Buffer | string): Promise<void> {
    await this.#inTransaction([{ key, value }], []);
  }

  /** The committer's seam (lib/offsets/offset-committer.ts): settlements handed over, commits made here. */
  seam(parts: CommitSeamParts): CommitSeam {
    return {
      onProcessed: (s) => this.#claim(s),
      commit: (offers) => this.#commit(offers, parts),
    };
  }

  async close(): Promise<void> {
    await this.#producer.disconnect().catch(() => undefined);
  }

  #claim(s: Settlement): void {
    const ref = s.file!;
    const id = stashKey(ref.relativePath, ref.fileHash);
    const result = this.#stash.get(id);
    // Committing this file's offsets without its result would lose the result: stop instead.
    if (result === undefined) throw new ProcessingError('ERR_PROCESSING_FAILED', `no computed result for processed file ${ref.relativePath}`, { path: ref.relativePath });
    this.#stash.delete(id);
    this.#pending.push({ ref, positions: s.positions, ...result });
  }

  async #commit(offers: CommitOffset[], parts: CommitSeamParts): Promise<CommitOffset[]> {
    const { files, offsets } = coveredFiles(offers, this.#pending, (t, p) => parts.tracker.committed(t, p));
    if (files.length === 0 && offsets.length === 0) return [];
    await this.#inTransaction(files, offsets, parts);
    const done = new Set(files);
    this.#pending = this.#pending.filter((f) => !done.has(f));
    for (const f of files) parts.registry.markProcessed(registryFile(f.ref));
    await parts.registry.flushProcessed?.();
    this.#logger.debug({ results: files.length, offsets }, 'results and offsets committed');
    return offsets;
  }

  async #inTransaction(results: ReadonlyArray<{ key: string; value: Buffer | string }>, offsets: CommitOffset[], group?: Pick<CommitSeamParts, 'groupId' | 'consumer'>): Promise<void> {
    const txn = await this.#producer.transaction();
    try {
      if (results.length > 0) {
        await txn.send({ topic: this.topic, compression: this.#compression, acks: -1, messages: results.map(({ key, value }) => ({ key, value })) });
      }
      if (offsets.length > 0 && group !== undefined) {
        const { groupId, consumer } = group;
        const topics = [...new Set(offsets.map((o) => o.topic))].map((topic) => ({
          topic,
          partitions: offsets.filter((o) => o.topic === topic).map(({ partition, offset }) => ({ partition, offset })),
        }));
        // kafkajs reads consumerGroupId, librdkafka the consumer (see the header).
        const offsetsOfGroup = { consumerGroupId: groupId, consumer, topics };
        await txn.sendOffsets(offsetsOfGroup);
      }
      await txn.commit();
    } catch (err) {
      await txn.abort().catch(() => undefined);
      throw new DataFileStreamError('ERR_PRODUCE_FAILED', `the transaction of ${results.length} result(s) and ${offsets.length} offset(s) did not commit: ${(err as Error)?.message ?? String(err)}`, { topic: this.topic }, err);
    }
  }
}

function stashKey(relativePath: string, fileHash: Buffer): string {
  return `${relativePath}\0${fileHash.toString('hex')}`;
}
