/** What the load loop drives: one round trip per call. */
export interface EchoClient {
  /** One request and its answer. Rejects if the answer is wrong. */
  call(): Promise<void>;
  close(): Promise<void>;
}
