/** The library's own logger that drops everything, shared by the tests that pass a logger. */
import { silentLogger, type Logger } from '../../lib/log/create-logger.js';

export const silent: Logger = silentLogger();
