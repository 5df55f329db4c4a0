package dev.m2mauth;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The C library (libm2m_auth, include/m2m_auth.h) through the Foreign Function
 * & Memory API: loading it, one downcall handle per C function (made on first
 * use, by name), C strings, and turning an {@code m2m_result} with its
 * {@code m2m_error} into an exception. Package-private: the public classes
 * translate, this class only calls.
 */
final class Native {
  private Native() {}

  /** The system property naming the library file (wins over the variable). */
  static final String LIBRARY_PROPERTY = "m2m.auth.library";
  /** The environment variable naming the library file. */
  static final String LIBRARY_VARIABLE = "M2M_AUTH_LIBRARY";

  static final ValueLayout.OfInt RESULT = ValueLayout.JAVA_INT;
  static final AddressLayout PTR = ValueLayout.ADDRESS;
  static final MemorySegment NULL = MemorySegment.NULL;

  private static final Linker LINKER = Linker.nativeLinker();
  private static final SymbolLookup LOOKUP = load();
  private static final ConcurrentHashMap<String, MethodHandle> HANDLES = new ConcurrentHashMap<>();

  /** Loads the library: from {@code m2m.auth.library} / {@code M2M_AUTH_LIBRARY}, else {@code java.library.path}. */
  private static SymbolLookup load() {
    String path = System.getProperty(LIBRARY_PROPERTY);
    if (path == null || path.isBlank()) path = System.getenv(LIBRARY_VARIABLE);
    if (path != null && !path.isBlank()) {
      Path file = Path.of(path);
      if (!Files.isRegularFile(file)) {
        throw new UnsatisfiedLinkError("m2m-auth: no library at " + file + " (" + LIBRARY_PROPERTY + " / " + LIBRARY_VARIABLE + ")");
      }
      return SymbolLookup.libraryLookup(file, Arena.global());
    }
    System.loadLibrary("m2m_auth");
    return SymbolLookup.loaderLookup();
  }

  /** The downcall handle of C function {@code name} (cached; a name has one signature). */
  static MethodHandle fn(String name, MemoryLayout ret, MemoryLayout... args) {
    return HANDLES.computeIfAbsent(name, n -> {
      MemorySegment symbol = LOOKUP.find(n).orElseThrow(() -> new UnsatisfiedLinkError("m2m-auth: the library has no " + n));
      FunctionDescriptor fd = ret == null ? FunctionDescriptor.ofVoid(args) : FunctionDescriptor.of(ret, args);
      return LINKER.downcallHandle(symbol, fd);
    });
  }

  /** Calls a C function returning {@code m2m_result} whose arguments are a handle then Java values. */
  static int callWithValues(String name, MemorySegment handle, List<Object> values) {
    try (Arena arena = Arena.ofConfined()) {
      List<MemoryLayout> layouts = new ArrayList<>();
      Object[] args = new Object[values.size() + 1];
      layouts.add(PTR);
      args[0] = handle;
      for (int i = 0; i < values.size(); i++) {
        Object v = values.get(i);
        switch (v) {
          case String s -> {
            layouts.add(PTR);
            args[i + 1] = arena.allocateFrom(s);
          }
          case Long l -> {
            layouts.add(ValueLayout.JAVA_LONG);
            args[i + 1] = l;
          }
          case Double d -> {
            layouts.add(ValueLayout.JAVA_DOUBLE);
            args[i + 1] = d;
          }
          case Boolean b -> {
            layouts.add(ValueLayout.JAVA_BOOLEAN);
            args[i + 1] = b;
          }
          case MemorySegment m -> {
            layouts.add(PTR);
            args[i + 1] = m;
          }
          default -> throw new IllegalArgumentException("unsupported argument type " + v.getClass());
        }
      }
      return (int) fn(name, RESULT, layouts.toArray(MemoryLayout[]::new)).invokeWithArguments(args);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException("m2m-auth: calling " + name + " failed", t);
    }
  }

  private static RuntimeException unchecked(Throwable t) {
    if (t instanceof RuntimeException r) return r;
    if (t instanceof Error e) throw e;
    return new IllegalStateException("m2m-auth: native call failed", t);
  }

  /** {@code int f(p, q)} without boxing (the hot paths). */
  static int call2(MethodHandle h, MemorySegment p, MemorySegment q) {
    try {
      return (int) h.invokeExact(p, q);
    } catch (Throwable t) {
      throw unchecked(t);
    }
  }

  /** {@code int f(p, q, r, s)} without boxing (the hot paths). */
  static int call4(MethodHandle h, MemorySegment p, MemorySegment q, MemorySegment r, MemorySegment s) {
    try {
      return (int) h.invokeExact(p, q, r, s);
    } catch (Throwable t) {
      throw unchecked(t);
    }
  }

  /** Invokes a handle, rethrowing what it throws unchecked. */
  static Object invoke(MethodHandle h, Object... args) {
    try {
      return h.invokeWithArguments(args);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException("m2m-auth: native call failed", t);
    }
  }

  /** libc's strlen: much faster than a byte-by-byte scan for tokens of a kilobyte. */
  private static final MethodHandle STRLEN = LINKER.downcallHandle(
      LINKER.defaultLookup().find("strlen").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_LONG, PTR));

  /** A borrowed NUL-terminated C string (UTF-8) as Java text; null for NULL. */
  static String string(MemorySegment p) {
    if (p == null || p.equals(NULL)) return null;
    long len;
    try {
      len = (long) STRLEN.invokeExact(p);
    } catch (Throwable t) {
      throw unchecked(t);
    }
    return new String(p.reinterpret(len).toArray(ValueLayout.JAVA_BYTE), java.nio.charset.StandardCharsets.UTF_8);
  }

  /** A {@code const char *f(const T *)} getter's value. */
  static String getString(String name, MemorySegment handle) {
    try {
      return string((MemorySegment) fn(name, PTR, PTR).invokeExact(handle));
    } catch (Throwable t) {
      throw unchecked(t);
    }
  }

  /** A {@code uint64_t f(const T *)} getter's value. */
  static long getLong(String name, MemorySegment handle) {
    try {
      return (long) fn(name, ValueLayout.JAVA_LONG, PTR).invokeExact(handle);
    } catch (Throwable t) {
      throw unchecked(t);
    }
  }

  /** Calls {@code void f(T *)}: a _free function. */
  static void free(String name, MemorySegment handle) {
    try {
      fn(name, null, PTR).invokeExact(handle);
    } catch (Throwable t) {
      throw unchecked(t);
    }
  }

  /**
   * New native options from {@code <kind>_new} with {@code settings} applied
   * in order (freed with {@code <kind>_free} if one fails); the caller frees
   * them with {@code <kind>_free}. {@code kind}: "m2m_client_options" or
   * "m2m_verifier_options".
   */
  static MemorySegment options(String kind, List<Setting> settings) {
    MemorySegment options;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment out = arena.allocate(PTR);
      check((int) invoke(fn(kind + "_new", RESULT, PTR), out), null);
      options = out.get(PTR, 0);
    }
    try {
      for (Setting s : settings) s.apply(options);
    } catch (RuntimeException e) {
      free(kind + "_free", options);
      throw e;
    }
    return options;
  }

  /**
   * The handle {@code constructor(options, &out, &err)} makes (an exception
   * for its error); {@code options} are freed with {@code freeOptions}
   * either way.
   */
  static MemorySegment create(String constructor, MemorySegment options, String freeOptions) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment out = arena.allocate(PTR);
      MemorySegment err = arena.allocate(PTR);
      int rc = (int) invoke(fn(constructor, RESULT, PTR, PTR, PTR), options, out, err);
      check(rc, err);
      return out.get(PTR, 0);
    } finally {
      free(freeOptions, options);
    }
  }

  /** The library's version, e.g. {@code "0.1.0"}. */
  static String version() {
    return string((MemorySegment) invoke(fn("m2m_version", PTR)));
  }

  /** The name of an {@code m2m_result} ({@code "config"}, {@code "null_argument"} ...). */
  static String resultName(int rc) {
    return string((MemorySegment) invoke(fn("m2m_result_name", PTR, ValueLayout.JAVA_INT), rc));
  }

  /**
   * Throws the exception for {@code rc} unless it is {@code M2M_OK}, reading and freeing
   * {@code *errOut} (which may hold NULL).
   */
  static void check(int rc, MemorySegment errOut) {
    MemorySegment err = errOut == null ? NULL : errOut.get(PTR, 0);
    if (rc == 0) {
      if (!err.equals(NULL)) free("m2m_error_free", err);
      return;
    }
    throw error(rc, err);
  }

  /** The exception for {@code rc} and its detail {@code err} (freed here; NULL allowed). */
  static M2mAuthException error(int rc, MemorySegment err) {
    return error(rc, err, null);
  }

  /**
   * The exception for {@code rc} and {@code err} (freed here); {@code challenge}, when not null,
   * computes its {@link Challenge} from the native error before it is freed.
   */
  static M2mAuthException error(int rc, MemorySegment err, java.util.function.Function<MemorySegment, Challenge> challenge) {
    try {
      String code = resultName(rc);
      if (err.equals(NULL)) {
        return M2mAuthException.of(rc, new M2mAuthException.Fields(code, "m2m-auth: " + code, null, null, null, 0, null, null, null, null, 0));
      }
      int status = Short.toUnsignedInt((short) invoke(fn("m2m_error_status", ValueLayout.JAVA_SHORT, PTR), err));
      M2mAuthException.Fields f = new M2mAuthException.Fields(
          code,
          getString("m2m_error_message", err),
          getString("m2m_error_error", err),
          getString("m2m_error_error_description", err),
          getString("m2m_error_error_uri", err),
          status,
          getString("m2m_error_body", err),
          getString("m2m_error_kind", err),
          getString("m2m_error_reason", err),
          getString("m2m_error_required_scope", err),
          getLong("m2m_error_retry_after", err));
      M2mAuthException e = M2mAuthException.of(rc, f);
      return challenge == null ? e : e.withChallenge(challenge.apply(err));
    } finally {
      free("m2m_error_free", err);
    }
  }
}
