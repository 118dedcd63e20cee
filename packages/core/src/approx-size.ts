/**
 * About how many bytes `value` takes once encoded (MessagePack or JSON), counting strings by
 * length, binary by byteLength, numbers as 9. Stops early once past `limit` (returns a value
 * > limit), so bounding a large value costs no more than the bound. Cycles are counted once.
 */
export function approxSize(value: unknown, limit = Number.POSITIVE_INFINITY): number {
  let total = 0;
  const stack: unknown[] = [value];
  const seen = new Set<object>();
  while (stack.length > 0 && total <= limit) {
    const v = stack.pop();
    switch (typeof v) {
      case 'string':
        total += v.length + 5;
        continue;
      case 'number':
      case 'bigint':
        total += 9;
        continue;
      case 'object': {
        if (v === null) {
          total += 1;
          continue;
        }
        if (seen.has(v)) continue;
        seen.add(v);
        if (ArrayBuffer.isView(v)) {
          total += v.byteLength + 5;
          continue;
        }
        total += 5;
        if (Array.isArray(v)) {
          for (const item of v) stack.push(item);
        } else {
          for (const [k, item] of Object.entries(v)) {
            total += k.length + 5;
            stack.push(item);
          }
        }
        continue;
      }
      default:
        total += 1;
    }
  }
  return total;
}
