package dev.m2mauth;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * One recorded setter call on a native options or request handle: the C
 * function, the surface name it sets (for messages) and its arguments after the
 * handle. Applied in order when the handle is made; never printed with its
 * values (they may be secrets).
 */
record Setting(String function, String name, List<Object> args) {
  /** Applies it to {@code handle}; a {@link ConfigException} naming the option (never its value) if refused. */
  void apply(MemorySegment handle) {
    List<Object> values = args;
    if (args.size() == 1 && args.get(0) instanceof ClientAssertionProvider p) values = AssertionUpcalls.arguments(p);
    int rc = Native.callWithValues(function, handle, values);
    if (rc != 0) {
      String code = Native.resultName(rc);
      throw M2mAuthException.of(rc, new M2mAuthException.Fields(
          code, "m2m-auth: option " + name + " refused (" + code + ")",
          null, null, null, 0, null, null, null, null, 0));
    }
  }

  @Override
  public String toString() {
    return name;
  }
}
