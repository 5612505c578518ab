/**
 * JavaScript-owned allocator over the kernels' linear memory.
 *
 * Contract with assembly/: the wasm module never allocates. Everything from its heapBase() up
 * belongs to this arena; it grows the exported memory when a request does not fit and hands out
 * 64-byte aligned blocks (cache-line aligned: SIMD loads never straddle lines at row starts).
 * Typed-array views must be re-created after any allocation, because growing detaches the old
 * ArrayBuffer; `f32`/`f64`/`u8`/`i32` therefore build a fresh view on every call.
 */

const ALIGN = 64;
const PAGE = 65536;
const MAX_BYTES = 4 * 1024 * 1024 * 1024; // wasm32 address space

interface FreeBlock {
  offset: number;
  size: number;
}

export class WasmArena {
  private readonly free: FreeBlock[] = []; // sorted by offset, never adjacent (coalesced)
  private readonly sizes = new Map<number, number>();
  private end: number;

  constructor(private readonly memory: WebAssembly.Memory, heapBase: number) {
    const start = align(heapBase >>> 0);
    this.end = this.memory.buffer.byteLength;
    if (this.end > start) this.free.push({ offset: start, size: this.end - start });
  }

  /** Bytes currently handed out. */
  get allocatedBytes(): number {
    let total = 0;
    for (const size of this.sizes.values()) total += size;
    return total;
  }

  /** A 64-byte aligned block of at least `bytes` bytes (contents undefined). */
  alloc(bytes: number): number {
    const size = Math.max(ALIGN, align(bytes));
    let index = this.free.findIndex((b) => b.size >= size);
    if (index < 0) index = this.growFor(size);
    const block = this.free[index];
    const offset = block.offset;
    if (block.size === size) this.free.splice(index, 1);
    else {
      block.offset += size;
      block.size -= size;
    }
    this.sizes.set(offset, size);
    return offset;
  }

  /** alloc() followed by zero fill. */
  allocZeroed(bytes: number): number {
    const ptr = this.alloc(bytes);
    this.u8(ptr, bytes).fill(0);
    return ptr;
  }

  release(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) throw new Error(`kernels arena: release of unknown pointer ${ptr}`);
    this.sizes.delete(ptr);
    let i = 0;
    while (i < this.free.length && this.free[i].offset < ptr) i++;
    this.free.splice(i, 0, { offset: ptr, size });
    // Coalesce with the right, then the left neighbour.
    const next = this.free[i + 1];
    if (next && ptr + size === next.offset) {
      this.free[i].size += next.size;
      this.free.splice(i + 1, 1);
    }
    const prev = this.free[i - 1];
    if (prev && prev.offset + prev.size === ptr) {
      prev.size += this.free[i].size;
      this.free.splice(i, 1);
    }
  }

  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, length);
  }

  f64(ptr: number, length: number): Float64Array {
    return new Float64Array(this.memory.buffer, ptr, length);
  }

  i32(ptr: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, length);
  }

  u8(ptr: number, length: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, length);
  }

  /** Grows memory so that a free block of `size` bytes exists at the end; returns its index. */
  private growFor(size: number): number {
    const last = this.free[this.free.length - 1];
    const tail = last && last.offset + last.size === this.end ? last.size : 0;
    const needed = size - tail;
    const pages = Math.ceil(needed / PAGE);
    if (this.end + pages * PAGE > MAX_BYTES) {
      throw new RangeError(`kernels arena: ${size} bytes requested, wasm32 memory limit (4 GiB) reached`);
    }
    this.memory.grow(pages);
    const added = pages * PAGE;
    if (tail > 0) last.size += added;
    else this.free.push({ offset: this.end, size: added });
    this.end += added;
    return this.free.length - 1;
  }
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
