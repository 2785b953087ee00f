/** `datafile-stream s3-transfer <bucket_name>`: see S3TransferStreamProcessor. */
import { S3TransferStreamProcessor } from '../../programs/s3-transfer-stream-processor.js';

export function run(argv: string[]): Promise<number> {
  // The AWS SDK warns on Node 20 that *future* SDK releases will need Node 22; the SDK version
  // this package pins supports Node 20, so the warning says nothing about this program. A user
  // who sets the variable keeps their choice.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return S3TransferStreamProcessor.runFromCommandLine(argv);
}
