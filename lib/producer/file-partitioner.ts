/**
 * Partition by file: every chunk of one file goes to one partition, so several consumer processes
 * in one group each see whole files (SPEC §4 "Scale-out"). The key stays OpenMSIStream's string;
 * only its part before `_chunk_` is hashed, with kafkajs's murmur2 (Java-compatible) partitioner.
 */
import { Partitioners, type ICustomPartitioner } from 'kafkajs';
import { fileKeyPrefix } from '../codec/chunk-codec.js';

export const FilePartitioner: ICustomPartitioner = () => {
  const byKey = Partitioners.DefaultPartitioner();
  return ({ topic, partitionMetadata, message }) => {
    const key = message.key === null || message.key === undefined ? null : fileKeyPrefix(message.key.toString());
    return byKey({ topic, partitionMetadata, message: { ...message, key } });
  };
};
