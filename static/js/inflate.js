// Expands a zlib stream (RFC 1950 around RFC 1951 deflate) synchronously, in one call. A room
// compresses each frame once (a `zframe`) and a follower expands every one it receives: the
// browser's DecompressionStream costs a chain of stream tasks and promises per frame, which
// kept a slowed phone's main thread busy far longer than the few kilobytes need.

const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DISTANCE_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DISTANCE_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
/** The order in which a dynamic block lists its code-length code's lengths. */
const LENGTH_CODE_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** Codes up to this many bits are decoded by one table lookup, longer ones bit by bit. */
const FAST_BITS = 9;

/**
 * A canonical Huffman code from code lengths: how many codes of each length, the symbols
 * sorted, and `fast`: for every FAST_BITS bits of input (first bit least significant), the
 * symbol whose code they start with and its length (symbol << 4 | length), or 0 if longer.
 */
function huffman(lengths) {
  const counts = new Uint16Array(16);
  for (const n of lengths) counts[n] += 1;
  counts[0] = 0;
  const offsets = new Uint16Array(16);
  const next = new Uint16Array(16); // the next code of each length
  for (let n = 1, code = 0; n < 16; n++) {
    offsets[n] = offsets[n - 1] + counts[n - 1];
    code = (code + counts[n - 1]) << 1;
    next[n] = code;
  }
  const symbols = new Uint16Array(lengths.length);
  const fast = new Uint16Array(1 << FAST_BITS);
  lengths.forEach((n, symbol) => {
    if (!n) return;
    symbols[offsets[n]++] = symbol;
    const code = next[n]++;
    if (n > FAST_BITS) return;
    // Codes are sent first bit first: the table is indexed by the code reversed.
    let reversed = 0;
    for (let i = 0; i < n; i++) reversed |= ((code >> i) & 1) << (n - 1 - i);
    for (let i = reversed; i < fast.length; i += 1 << n) fast[i] = (symbol << 4) | n;
  });
  return { counts, symbols, fast };
}

const FIXED_LITERALS = huffman(Array.from({ length: 288 }, (_, i) => (i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8)));
const FIXED_DISTANCES = huffman(new Array(30).fill(5));

class Bits {
  constructor(bytes) {
    this.bytes = bytes;
    this.at = 0; // the next byte
    this.buffer = 0; // bits read but not used, least significant first
    this.count = 0;
  }

  /** The next `n` bits (n <= 24) as a number, the first one least significant. */
  take(n) {
    while (this.count < n) {
      if (this.at >= this.bytes.length) throw new Error("zlib stream ends too early");
      this.buffer |= this.bytes[this.at++] << this.count;
      this.count += 8;
    }
    const value = this.buffer & ((1 << n) - 1);
    this.buffer >>>= n;
    this.count -= n;
    return value;
  }

  /** One symbol of `code`: by its table, else a bit at a time (codes start at their first bit). */
  symbol(code) {
    while (this.count < FAST_BITS && this.at < this.bytes.length) {
      this.buffer |= this.bytes[this.at++] << this.count;
      this.count += 8;
    }
    const entry = code.fast[this.buffer & ((1 << FAST_BITS) - 1)];
    if (entry && (entry & 15) <= this.count) {
      this.buffer >>>= entry & 15;
      this.count -= entry & 15;
      return entry >> 4;
    }
    let value = 0;
    let first = 0;
    let index = 0;
    for (let n = 1; n < 16; n++) {
      value |= this.take(1);
      const count = code.counts[n];
      if (value - first < count) return code.symbols[index + value - first];
      index += count;
      first = (first + count) << 1;
      value <<= 1;
    }
    throw new Error("zlib stream has a bad Huffman code");
  }

  /** Drops the bits left in the current byte (a stored block starts on a byte). */
  align() {
    this.at -= this.count >> 3; // whole bytes read ahead go back
    this.buffer = 0;
    this.count = 0;
  }
}

/** A dynamic block's literal/length and distance codes, read from its header. */
function dynamicCodes(bits) {
  const literals = bits.take(5) + 257;
  const distances = bits.take(5) + 1;
  const lengthCodes = bits.take(4) + 4;
  const lengths = new Array(19).fill(0);
  for (let i = 0; i < lengthCodes; i++) lengths[LENGTH_CODE_ORDER[i]] = bits.take(3);
  const lengthCode = huffman(lengths);
  const all = [];
  while (all.length < literals + distances) {
    const symbol = bits.symbol(lengthCode);
    if (symbol < 16) all.push(symbol);
    else if (symbol === 16) {
      if (!all.length) throw new Error("zlib stream repeats a length before any");
      all.push(...new Array(3 + bits.take(2)).fill(all[all.length - 1]));
    } else all.push(...new Array(symbol === 17 ? 3 + bits.take(3) : 11 + bits.take(7)).fill(0));
  }
  if (all.length > literals + distances) throw new Error("zlib stream has too many code lengths");
  return [huffman(all.slice(0, literals)), huffman(all.slice(literals))];
}

/**
 * The bytes a zlib stream holds; `size` (the expanded length, if known) sizes the output at
 * once. Throws on a stream that is cut short, malformed or fails its Adler-32 check.
 */
export function inflate(bytes, size = bytes.length * 4) {
  if (bytes.length < 6 || (bytes[0] & 0x0f) !== 8 || ((bytes[0] << 8) | bytes[1]) % 31 !== 0 || bytes[1] & 0x20) {
    throw new Error("not a zlib stream (deflate, no preset dictionary)");
  }
  const bits = new Bits(bytes.subarray(2));
  let out = new Uint8Array(Math.max(size, 64));
  let length = 0;
  const room = (n) => {
    if (length + n <= out.length) return;
    const bigger = new Uint8Array(Math.max(out.length * 2, length + n));
    bigger.set(out.subarray(0, length));
    out = bigger;
  };
  let last = 0;
  while (!last) {
    last = bits.take(1);
    const type = bits.take(2);
    if (type === 0) {
      bits.align();
      const at = bits.at;
      const n = bits.bytes[at] | (bits.bytes[at + 1] << 8);
      if (at + 4 + n > bits.bytes.length) throw new Error("zlib stream ends too early");
      room(n);
      out.set(bits.bytes.subarray(at + 4, at + 4 + n), length);
      length += n;
      bits.at = at + 4 + n;
      continue;
    }
    if (type === 3) throw new Error("zlib stream has a bad block type");
    const [literalCode, distanceCode] = type === 1 ? [FIXED_LITERALS, FIXED_DISTANCES] : dynamicCodes(bits);
    for (;;) {
      const symbol = bits.symbol(literalCode);
      if (symbol < 256) {
        room(1);
        out[length++] = symbol;
        continue;
      }
      if (symbol === 256) break;
      const s = symbol - 257;
      if (s >= 29) throw new Error("zlib stream has a bad length code");
      const n = LENGTH_BASE[s] + bits.take(LENGTH_EXTRA[s]);
      const d = bits.symbol(distanceCode);
      if (d >= 30) throw new Error("zlib stream has a bad distance code");
      const distance = DISTANCE_BASE[d] + bits.take(DISTANCE_EXTRA[d]);
      if (distance > length) throw new Error("zlib stream refers back before its start");
      room(n);
      // Byte by byte: a copy may overlap the bytes it writes (a run).
      for (let i = 0; i < n; i++, length++) out[length] = out[length - distance];
    }
  }
  // The Adler-32 of the output, big-endian, starts at the next byte.
  bits.align();
  const at = bits.at;
  if (at + 4 > bits.bytes.length) throw new Error("zlib stream ends too early");
  const expected = ((bits.bytes[at] << 24) | (bits.bytes[at + 1] << 16) | (bits.bytes[at + 2] << 8) | bits.bytes[at + 3]) >>> 0;
  if (adler32(out, length) !== expected) throw new Error("zlib stream fails its checksum");
  return out.subarray(0, length);
}

function adler32(bytes, length) {
  let a = 1;
  let b = 0;
  for (let i = 0; i < length; ) {
    // 5552 bytes at most between reductions keep the sums within 32 bits.
    const end = Math.min(length, i + 5552);
    for (; i < end; i++) {
      a += bytes[i];
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}
