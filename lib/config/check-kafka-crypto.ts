/**
 * checkKafkaCrypto: the one decision about OpenMSIStream's `[kafkacrypto]` section (SPEC §6).
 *
 * In: a parsed config and the caller's `allowPlaintext`. Out: nothing when the config does not
 * ask for encryption; throws ConfigError ERR_ENCRYPTION_UNSUPPORTED when it does and plaintext
 * was not allowed. A config with `[kafkacrypto]` is a user asking for encrypted records; this
 * toolkit cannot encrypt or decrypt them, and producing or reading plaintext silently would
 * leave the user believing the data was protected. So the default is to refuse, before any
 * client exists, and plaintext is an explicit opt-in (`--allow_plaintext`,
 * `allowPlaintext: true`) whose warning kafkaClientOptions already carries
 * (`kafkacrypto: ... unencrypted`).
 */
import { ConfigError } from '../errors.js';
import type { ConfigFile } from './config-file.js';

export const KAFKACRYPTO_SECTION = 'kafkacrypto';

export interface PlaintextOptions {
  /** Run with a `[kafkacrypto]` config anyway, producing and reading unencrypted records. */
  allowPlaintext?: boolean;
}

export function checkKafkaCrypto(config: ConfigFile, options: PlaintextOptions = {}): void {
  if (!Object.hasOwn(config.sections, KAFKACRYPTO_SECTION) || options.allowPlaintext === true) return;
  throw new ConfigError(
    'ERR_ENCRYPTION_UNSUPPORTED',
    `config ${config.path} has a [${KAFKACRYPTO_SECTION}] section, which asks for OpenMSIStream's KafkaCrypto encryption; ` +
      'datafile-stream does not support KafkaCrypto and would send and read the records unencrypted. ' +
      `Use a config without [${KAFKACRYPTO_SECTION}], or pass --allow_plaintext (allowPlaintext: true in the library) to send and read plaintext on purpose`,
    { path: config.path, option: KAFKACRYPTO_SECTION, section: KAFKACRYPTO_SECTION },
  );
}
