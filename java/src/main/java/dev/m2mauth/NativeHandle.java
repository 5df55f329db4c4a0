package dev.m2mauth;

import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One native handle and its _free function, freed exactly once: when it is
 * closed and no call still uses it (a call in flight on another thread keeps
 * it alive until it returns). The owner registers {@link #close} with the
 * {@link #CLEANER} as a safety net, so a handle never closed is freed once its
 * owner is unreachable; it never refers to its owner.
 */
final class NativeHandle {
  /** The cleaner of every handle owner (one daemon thread). */
  static final Cleaner CLEANER = Cleaner.create();

  private final MemorySegment pointer;
  private final String freeFunction;
  private final String what;
  private final AtomicInteger users = new AtomicInteger(1);
  private final AtomicBoolean closed = new AtomicBoolean();

  NativeHandle(MemorySegment pointer, String freeFunction, String what) {
    this.pointer = pointer;
    this.freeFunction = freeFunction;
    this.what = what;
  }

  /** The pointer, for one call; {@link #release} after it. IllegalStateException once closed. */
  MemorySegment acquire() {
    while (true) {
      int n = users.get();
      if (n <= 0 || closed.get()) throw new IllegalStateException("m2m-auth: the " + what + " is closed");
      if (users.compareAndSet(n, n + 1)) return pointer;
    }
  }

  /** Ends a call begun with {@link #acquire}. */
  void release() {
    if (users.decrementAndGet() == 0) Native.free(freeFunction, pointer);
  }

  /** Closes the handle (idempotent); the memory goes once the last call returns. */
  void close() {
    if (closed.compareAndSet(false, true)) release();
  }

  /** Whether {@link #close} was called. */
  boolean isClosed() {
    return closed.get();
  }
}
