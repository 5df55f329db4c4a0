package dev.m2mauth;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Per-call request parameters ({@code audience}, {@code scope}, {@code
 * organization}, {@code resource}, {@code extra}); each one set replaces the
 * client's default for that call, each one left out keeps it. Immutable.
 */
public final class TokenRequest {
  private final List<Setting> settings;

  private TokenRequest(List<Setting> settings) {
    this.settings = List.copyOf(settings);
  }

  /** A new builder with no parameter set. */
  public static Builder builder() {
    return new Builder();
  }

  /** Makes the native request (the caller frees it with m2m_request_free). */
  MemorySegment toNative() {
    MemorySegment request;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment out = arena.allocate(Native.PTR);
      Native.check((int) Native.invoke(Native.fn("m2m_request_new", Native.RESULT, Native.PTR), out), null);
      request = out.get(Native.PTR, 0);
    }
    try {
      for (Setting s : settings) s.apply(request);
    } catch (RuntimeException e) {
      Native.free("m2m_request_free", request);
      throw e;
    }
    return request;
  }

  /** The names of the parameters set (no value). */
  @Override
  public String toString() {
    return "TokenRequest" + settings;
  }

  /** Builds a {@link TokenRequest}. */
  public static final class Builder {
    private final List<Setting> settings = new ArrayList<>();
    private boolean resourceCleared;
    private boolean extraCleared;

    private Builder() {}

    private Builder add(String function, String name, Object... args) {
      settings.add(new Setting(function, name, List.of(args)));
      return this;
    }

    /** Sets parameter {@code name} from text as {@link ClientOptions.Builder#set} reads it ({@code ""} clears it). */
    public Builder set(String name, String text) {
      return add("m2m_request_set", name, name, text);
    }

    /** Parameter {@code audience}. */
    public Builder audience(String value) {
      return add("m2m_request_set_audience", "audience", value);
    }

    /** Parameter {@code scope}: the call's scopes (each may hold several, separated by spaces). */
    public Builder scope(String... values) {
      for (String v : values) add("m2m_request_add_scope", "scope", v);
      return this;
    }

    /** Parameter {@code organization}. */
    public Builder organization(String value) {
      return add("m2m_request_set_organization", "organization", value);
    }

    /** Parameter {@code resource}: the call's list (replacing the client's). */
    public Builder resource(String... values) {
      if (!resourceCleared) set("resource", "");
      resourceCleared = true;
      for (String v : values) add("m2m_request_add_resource", "resource", v);
      return this;
    }

    /** Parameter {@code extra}: one form parameter of the call's map (replacing the client's). */
    public Builder extra(String name, String value) {
      if (!extraCleared) set("extra", "");
      extraCleared = true;
      return add("m2m_request_add_extra", "extra", name, value);
    }

    /** Parameter {@code extra}: the call's map (replacing the client's). */
    public Builder extra(Map<String, String> values) {
      if (!extraCleared) set("extra", "");
      extraCleared = true;
      values.forEach(this::extra);
      return this;
    }

    /** The request. */
    public TokenRequest build() {
      return new TokenRequest(settings);
    }
  }
}
