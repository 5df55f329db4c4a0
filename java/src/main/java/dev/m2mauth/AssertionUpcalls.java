package dev.m2mauth;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link ClientAssertionProvider}s as the C library's {@code
 * m2m_assertion_provider} callback: one upcall stub for every provider, whose
 * {@code user_data} is a number naming the provider in a registry; the
 * library's {@code free_user_data} removes it (once, when it no longer needs
 * it). Nothing thrown ever crosses into native code.
 */
final class AssertionUpcalls {
  private AssertionUpcalls() {}

  private static final ConcurrentHashMap<Long, ClientAssertionProvider> PROVIDERS = new ConcurrentHashMap<>();
  private static final AtomicLong NEXT = new AtomicLong(1);
  private static final MemorySegment PROVIDE;
  private static final MemorySegment FREE;

  static {
    try {
      Linker linker = Linker.nativeLinker();
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      PROVIDE = linker.upcallStub(
          lookup.findStatic(AssertionUpcalls.class, "provide", MethodType.methodType(int.class, MemorySegment.class,
              MemorySegment.class, MemorySegment.class, MemorySegment.class, MemorySegment.class)),
          FunctionDescriptor.of(ValueLayout.JAVA_INT, Native.PTR, Native.PTR, Native.PTR, Native.PTR, Native.PTR),
          Arena.global());
      FREE = linker.upcallStub(
          lookup.findStatic(AssertionUpcalls.class, "release", MethodType.methodType(void.class, MemorySegment.class)),
          FunctionDescriptor.ofVoid(Native.PTR), Arena.global());
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** The three C arguments for {@code provider}: the callback, a new user_data, the free function. */
  static List<Object> arguments(ClientAssertionProvider provider) {
    long id = NEXT.getAndIncrement();
    PROVIDERS.put(id, provider);
    return List.of(PROVIDE, MemorySegment.ofAddress(id), FREE);
  }

  /** How many providers the library still holds (for tests). */
  static int registered() {
    return PROVIDERS.size();
  }

  private static int provide(MemorySegment userData, MemorySegment clientId, MemorySegment audience,
      MemorySegment tokenEndpoint, MemorySegment sink) {
    try {
      ClientAssertionProvider p = PROVIDERS.get(userData.address());
      if (p == null) return 2;
      String assertion = p.assertion(Native.string(clientId), Native.string(audience), Native.string(tokenEndpoint));
      if (assertion == null) return 3;
      byte[] bytes = assertion.getBytes(StandardCharsets.UTF_8);
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment buf = arena.allocateFrom(ValueLayout.JAVA_BYTE, bytes);
        int rc = (int) Native.invoke(Native.fn("m2m_assertion_sink_set", Native.RESULT, Native.PTR, Native.PTR,
            ValueLayout.JAVA_LONG), sink, buf, (long) bytes.length);
        return rc == 0 ? 0 : 4;
      }
    } catch (Throwable t) {
      return 1;
    }
  }

  private static void release(MemorySegment userData) {
    try {
      PROVIDERS.remove(userData.address());
    } catch (Throwable ignored) {
      // nothing may cross into native code
    }
  }
}
