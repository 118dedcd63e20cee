export interface BackoffOptions {
  /** First delay in ms. @default 100 */
  initialMs?: number;
  /** Cap on any one delay in ms. @default 5000 */
  maxMs?: number;
  /** Growth per attempt. @default 2 */
  factor?: number;
  /** 0 = no jitter, 1 = full jitter (uniform in [0, delay]). @default 0.5 */
  jitter?: number;
}

/** Exponential backoff with jitter; the one backoff every retry in the project uses. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialMs ?? 100;
  const max = options.maxMs ?? 5000;
  const factor = options.factor ?? 2;
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0.5));
  const base = Math.min(max, initial * factor ** Math.max(0, attempt));
  return Math.round(base * (1 - jitter * random()));
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
