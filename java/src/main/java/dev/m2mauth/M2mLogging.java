package dev.m2mauth;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * The engine's log records (never a secret), process-wide, through the C
 * library's {@code m2m_set_log_callback}: to a {@link Listener} of yours, or
 * to {@link System.Logger}s named by the record's target ({@code m2m_auth},
 * {@code m2m_auth::<part>}). A record is delivered on the thread of the call
 * that caused it, or on an engine thread for background work; a listener
 * must be quick and thread-safe. Nothing it throws reaches the engine.
 */
public final class M2mLogging {
  private M2mLogging() {}

  /** A record's severity, and the threshold of delivery. */
  public enum Level {
    /** No records (as a threshold). */
    OFF,
    /** A failure the caller sees. */
    ERROR,
    /** Something wrong the engine worked around. */
    WARN,
    /** A notable step (a token fetched, a refresh). */
    INFO,
    /** Details of the engine's decisions. */
    DEBUG,
    /** Everything. */
    TRACE
  }

  /** Receives one log record. */
  @FunctionalInterface
  public interface Listener {
    /** One record: its level, target and message (the event, then {@code name=value} per field). */
    void log(Level level, String target, String message);
  }

  private static volatile Listener listener;
  private static final MemorySegment CALLBACK;

  static {
    try {
      CALLBACK = Linker.nativeLinker().upcallStub(
          MethodHandles.lookup().findStatic(M2mLogging.class, "deliver", MethodType.methodType(void.class,
              MemorySegment.class, int.class, MemorySegment.class, MemorySegment.class)),
          FunctionDescriptor.ofVoid(Native.PTR, ValueLayout.JAVA_INT, Native.PTR, Native.PTR), Arena.global());
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** Sends records at {@code threshold} or more severe to {@code to}; a null listener or OFF stops delivery. */
  public static synchronized void setListener(Level threshold, Listener to) {
    boolean off = to == null || threshold == Level.OFF;
    listener = off ? null : to;
    int rc = (int) Native.invoke(Native.fn("m2m_set_log_callback", Native.RESULT, Native.PTR, Native.PTR,
        ValueLayout.JAVA_INT), off ? Native.NULL : CALLBACK, Native.NULL, off ? 0 : threshold.ordinal());
    Native.check(rc, null);
  }

  /** Sends records at {@code threshold} or more severe to {@code System.getLogger(target)}. */
  public static void toSystemLogger(Level threshold) {
    setListener(threshold, (level, target, message) -> System.getLogger(target).log(switch (level) {
      case ERROR -> System.Logger.Level.ERROR;
      case WARN -> System.Logger.Level.WARNING;
      case INFO -> System.Logger.Level.INFO;
      case DEBUG -> System.Logger.Level.DEBUG;
      default -> System.Logger.Level.TRACE;
    }, message));
  }

  private static void deliver(MemorySegment userData, int level, MemorySegment target, MemorySegment message) {
    try {
      Listener l = listener;
      if (l == null) return;
      Level[] levels = Level.values();
      l.log(level > 0 && level < levels.length ? levels[level] : Level.TRACE, Native.string(target),
          Native.string(message));
    } catch (Throwable ignored) {
      // nothing may cross into native code
    }
  }
}
