/**
 * The S3 client settings of `s3-transfer`, from the `[s3]` section of an OpenMSIStream config
 * file (`access_key_id`, `secret_key_id`, `endpoint_url`, `region`; `$VAR` values expanded):
 *
 *   [s3]
 *   access_key_id = $ACCESS_KEY_ID
 *   secret_key_id = $SECRET_KEY_ID
 *   endpoint_url = https://s3.us-east-2.amazonaws.com   (or http://127.0.0.1:9000 for MinIO)
 *   region = us-east-2
 *
 * In: a config name or path. Out: the `S3ClientConfig` the processor builds its client from,
 * and the `[s3]` warnings (unknown keys) for the caller to log.
 *
 * Addressing: AWS endpoints get virtual-hosted requests (`bucket.s3...`), every other endpoint
 * path-style (`endpoint/bucket/key`), which is what MinIO, Ceph RGW and most self-hosted servers
 * answer without DNS set up for bucket subdomains.
 * Timeouts: connecting may take `connectTimeoutMs`; a socket idle for `socketTimeoutMs` (server
 * hung, network gone) fails the request with a TimeoutError instead of waiting forever, so the
 * processor's retry and `failed` bookkeeping get their turn.
 * Errors: S3Error ERR_S3_CONFIG naming the config file (no `[s3]` section, a missing key, an
 * unset `$VAR`, an endpoint that is not a URL).
 */
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { loadConfig } from '../config/config-file.js';
import { s3Options } from '../config/kafka-options.js';
import { errorCodeOf, S3Error } from '../errors.js';

export interface S3ConnectionOptions {
  /** Milliseconds the TCP/TLS connect may take (default 5000). */
  connectTimeoutMs?: number;
  /** Milliseconds a request's socket may stay idle before the request fails (default 60000). */
  socketTimeoutMs?: number;
  /** Attempts the SDK makes per request before the processor sees an error (default 3). */
  sdkMaxAttempts?: number;
}

export interface S3ClientSetup {
  /** The config file that was read. */
  configPath: string;
  endpoint: string;
  region: string;
  forcePathStyle: boolean;
  clientConfig: S3ClientConfig;
  warnings: string[];
}

export function s3ClientOptions(configNameOrPath: string, connection: S3ConnectionOptions = {}, env: NodeJS.ProcessEnv = process.env): S3ClientSetup {
  let configPath = configNameOrPath;
  try {
    const config = loadConfig(configNameOrPath, env, { expand: ['s3'] });
    configPath = config.path;
    const s3 = s3Options(config.sections);
    let url: URL;
    try {
      url = new URL(s3.endpoint);
    } catch {
      throw new S3Error('ERR_S3_CONFIG', `s3.endpoint_url: ${JSON.stringify(s3.endpoint)} is not a URL`, { option: 's3.endpoint_url' });
    }
    const forcePathStyle = !/(^|\.)amazonaws\.com(\.cn)?$/i.test(url.hostname);
    return {
      configPath,
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle,
      warnings: s3.warnings,
      clientConfig: {
        endpoint: s3.endpoint,
        region: s3.region,
        forcePathStyle,
        credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
        maxAttempts: connection.sdkMaxAttempts ?? 3,
        // Checksums are asked for explicitly per upload (SHA-256); don't add a second one.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        requestHandler: {
          connectionTimeout: connection.connectTimeoutMs ?? 5000,
          socketTimeout: connection.socketTimeoutMs ?? 60_000,
          httpAgent: { keepAlive: true, maxSockets: 64 },
          httpsAgent: { keepAlive: true, maxSockets: 64 },
        },
      },
    };
  } catch (err) {
    if (err instanceof S3Error) throw new S3Error(err.code, `[s3] in ${configPath}: ${err.message}`, { option: (err as { option?: string }).option, config: configPath }, err.cause);
    throw new S3Error('ERR_S3_CONFIG', `[s3] in ${configPath}: ${(err as Error)?.message ?? String(err)}`, { config: configPath, configCode: errorCodeOf(err) }, err);
  }
}
