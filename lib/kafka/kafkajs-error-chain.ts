/**
 * kafkajs wraps a broker's answer in its own errors as it retries (`KafkaJSNumberOfRetriesExceeded`
 * around `KafkaJSProtocolError`, ...), linked by `originalError` or `cause`. This walks that chain,
 * outermost first, at most `MAX_DEPTH` links (a cyclic chain must not loop forever).
 */
export interface KafkajsErrorLink {
  type?: unknown;
  message?: unknown;
  originalError?: unknown;
  cause?: unknown;
}

const MAX_DEPTH = 8;

export function kafkajsErrorChain(err: unknown): KafkajsErrorLink[] {
  const chain: KafkajsErrorLink[] = [];
  for (let e = err as KafkajsErrorLink | undefined; e && typeof e === 'object' && chain.length < MAX_DEPTH; e = (e.originalError ?? e.cause) as KafkajsErrorLink | undefined) {
    chain.push(e);
  }
  return chain;
}

/** The broker's error types (`UNKNOWN_TOPIC_OR_PARTITION`, ...) found along the chain, outermost first. */
export function kafkajsErrorTypes(err: unknown): string[] {
  return kafkajsErrorChain(err).flatMap((e) => (typeof e.type === 'string' ? [e.type] : []));
}

/** The innermost message of the chain (the retry wrappers repeat it), or the error as text. */
export function kafkajsInnermostMessage(err: unknown): string {
  const message = kafkajsErrorChain(err).at(-1)?.message;
  return typeof message === 'string' ? message : String(err);
}
