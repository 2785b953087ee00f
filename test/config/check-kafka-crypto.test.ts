/**
 * checkKafkaCrypto: a config with [kafkacrypto] is refused with ERR_ENCRYPTION_UNSUPPORTED unless
 * plaintext is allowed explicitly; configs without it pass untouched. Run over every shipped
 * OpenMSIStream config, so each encrypted one is known to be refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkKafkaCrypto } from '../../lib/config/check-kafka-crypto.js';
import { parseConfigText, readConfigFile } from '../../lib/config/config-file.js';
import { errorCodeOf } from '../../lib/errors.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const shippedDirs = [join(root, 'fixtures', 'config', 'openmsistream-1.8.8'), join(root, 'fixtures', 'openmsistream-configs')].filter(existsSync);

test('every shipped config with [kafkacrypto] is refused, the others pass; allowPlaintext lets both through', () => {
  let refused = 0;
  let passed = 0;
  for (const dir of shippedDirs) {
    for (const name of readdirSync(dir).filter((f) => f.endsWith('.config'))) {
      // Unexpanded ($VARs as written): the decision must not depend on the environment.
      const config = readConfigFile(join(dir, name), {}, { expand: [] });
      if ('kafkacrypto' in config.sections) {
        assert.throws(() => checkKafkaCrypto(config), (err: unknown) => {
          assert.equal(errorCodeOf(err), 'ERR_ENCRYPTION_UNSUPPORTED', `${name}: ${String(err)}`);
          const e = err as { message: string; path?: string; option?: string };
          assert.equal(e.path, config.path);
          assert.equal(e.option, 'kafkacrypto');
          assert.match(e.message, /KafkaCrypto encryption/);
          assert.match(e.message, /not support/);
          assert.match(e.message, /--allow_plaintext/);
          return true;
        });
        refused++;
      } else {
        assert.doesNotThrow(() => checkKafkaCrypto(config), name);
        passed++;
      }
      assert.doesNotThrow(() => checkKafkaCrypto(config, { allowPlaintext: true }), name);
    }
  }
  assert.ok(refused >= 10, `${refused} encrypted configs refused`);
  assert.ok(passed >= 10, `${passed} plain configs passed`);
});

test('an empty [kafkacrypto] section still asks for encryption; allowPlaintext: false is the default', () => {
  const config = { path: '/x.config', sections: parseConfigText('[broker]\nbootstrap.servers = h:1\n[kafkacrypto]\n', {}) };
  assert.throws(() => checkKafkaCrypto(config, { allowPlaintext: false }), (err: unknown) => errorCodeOf(err) === 'ERR_ENCRYPTION_UNSUPPORTED');
  assert.throws(() => checkKafkaCrypto(config, {}), (err: unknown) => errorCodeOf(err) === 'ERR_ENCRYPTION_UNSUPPORTED');
  // Section names keep their case in configparser; OpenMSIStream looks for exactly `kafkacrypto`.
  const other = { path: '/y.config', sections: parseConfigText('[broker]\nbootstrap.servers = h:1\n[KafkaCryptoNotes]\na = b\n', {}) };
  assert.doesNotThrow(() => checkKafkaCrypto(other));
});
