/**
 * What the stream decoders (remoting frames, HA transfer frames) share: the chunks TCP delivered,
 * contiguous views of the first bytes on demand, and a sticky failure. A subclass's drain() checks
 * each field as soon as its bytes are in and takes whole frames; the first error it throws drops
 * everything held, and every later push throws that same error (the caller closes the connection).
 */
export abstract class StreamDecoder<T, E extends Error> {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private failure: E | undefined;

  /** bytes held between pushes */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Every complete item in order; throws E (and keeps throwing it) on the first bad byte. */
  push(chunk: Buffer): T[] {
    if (this.failure) throw this.failure;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    try {
      return this.drain();
    } catch (error) {
      this.chunks = [];
      this.buffered = 0;
      this.failure = this.asFailure(error);
      throw this.failure;
    }
  }

  /** Takes every complete item off the buffer; throws on a bad field. */
  protected abstract drain(): T[];

  /** The error a failure is reported as (anything unexpected wrapped into the decoder's own type). */
  protected abstract asFailure(error: unknown): E;

  protected get available(): number {
    return this.buffered;
  }

  /** The first n buffered bytes, contiguous (n <= available). */
  protected peek(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0]!.subarray(0, n);
  }

  /** The big-endian uint32 at `at` of the buffered bytes (at + 4 <= available), without a view when the first chunk holds it. */
  protected peekUInt32BE(at: number): number {
    const first = this.chunks[0]!;
    return first.length >= at + 4 ? first.readUInt32BE(at) : this.peek(at + 4).readUInt32BE(at);
  }

  /** Removes and returns the first n buffered bytes (n <= available). */
  protected take(n: number): Buffer {
    if (this.chunks.length === 1 && this.chunks[0]!.length === n) {
      // the common case: a chunk that is exactly one item
      const whole = this.chunks[0]!;
      this.chunks = [];
      this.buffered = 0;
      return whole;
    }
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    const taken = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return taken;
  }

  /** A partial item left in a large joined buffer is copied out so that it does not pin it. */
  protected releaseLargeBacking(minBackingBytes: number): void {
    const held = this.chunks.length === 1 ? this.chunks[0]! : undefined;
    if (held && held.buffer.byteLength >= minBackingBytes && held.length * 4 < held.buffer.byteLength) this.chunks = [Buffer.from(held)];
  }
}
