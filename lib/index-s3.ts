/**
 * `datafile-stream/s3`: the S3 transfer program, behind its own entry because it loads the AWS
 * SDK (about thirty modules) that an app importing the codec or the pipeline never needs.
 */
export { S3TransferStreamProcessor, FILE_HASH_METADATA, type S3TransferOptions } from './programs/s3-transfer-stream-processor.js';
