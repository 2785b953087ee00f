/**
 * librdkafka-errors: the binding's errors carry librdkafka's code names in `type`
 * (`ERR_UNKNOWN_TOPIC_OR_PART`); the toolkit branches on kafkajs's broker error types
 * (`UNKNOWN_TOPIC_OR_PARTITION`, kafkajs-error-chain.ts). `asKafkajsError` wraps an error whose
 * code has a kafkajs name in an Error with that `type` and the original as `originalError`, so
 * the same branches hold on both engines. Other errors pass through unchanged.
 */
const KAFKAJS_TYPES: Record<string, string> = {
  ERR_UNKNOWN_TOPIC_OR_PART: 'UNKNOWN_TOPIC_OR_PARTITION',
  ERR_LEADER_NOT_AVAILABLE: 'LEADER_NOT_AVAILABLE',
  ERR_NOT_LEADER_FOR_PARTITION: 'NOT_LEADER_FOR_PARTITION',
  ERR_TOPIC_ALREADY_EXISTS: 'TOPIC_ALREADY_EXISTS',
  ERR_TOPIC_AUTHORIZATION_FAILED: 'TOPIC_AUTHORIZATION_FAILED',
  ERR_GROUP_AUTHORIZATION_FAILED: 'GROUP_AUTHORIZATION_FAILED',
  ERR_SASL_AUTHENTICATION_FAILED: 'SASL_AUTHENTICATION_FAILED',
  ERR_MSG_SIZE_TOO_LARGE: 'MESSAGE_TOO_LARGE',
};

export function asKafkajsError(err: unknown): unknown {
  const type = (err as { type?: unknown } | undefined)?.type;
  const kafkajsType = typeof type === 'string' && Object.hasOwn(KAFKAJS_TYPES, type) ? KAFKAJS_TYPES[type] : undefined;
  if (kafkajsType === undefined) return err;
  return Object.assign(new Error((err as Error).message ?? String(err)), { name: 'KafkaJSProtocolError', type: kafkajsType, originalError: err });
}

/** `promise`, its rejection translated by asKafkajsError. */
export function kafkajsErrors<T>(promise: Promise<T>): Promise<T> {
  return promise.catch((err: unknown) => Promise.reject(asKafkajsError(err)));
}
