/**
 * A stand-in for an LLM: deterministic text, streamed token by token with a small delay, so the
 * demo shows real streaming without a model or network.
 */
export interface FakeModelOptions {
  /** Delay between tokens, ms. @default 4 */
  tokenDelayMs?: number;
  signal?: AbortSignal;
}

export async function* generate(prompt: string, options: FakeModelOptions = {}): AsyncGenerator<string> {
  const words = compose(prompt).split(/(?<= )/);
  for (const word of words) {
    options.signal?.throwIfAborted();
    await new Promise((resolve) => setTimeout(resolve, options.tokenDelayMs ?? 4));
    yield word;
  }
}

function compose(prompt: string): string {
  const topic = prompt.trim() || 'nothing in particular';
  return (
    `Here is what I found about ${topic}. ` +
    `Three sources agree on the basics of ${topic}, and one disagrees on the details. ` +
    `The strongest evidence comes from primary measurements rather than summaries. ` +
    `In short: ${topic} is well understood at a high level, with open questions at the edges.`
  );
}
