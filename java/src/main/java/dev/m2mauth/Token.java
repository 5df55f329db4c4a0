package dev.m2mauth;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Cleaner;
import java.time.Duration;
import java.time.Instant;

/**
 * An access token from {@link M2mClient#token}, with the token fields of every
 * language ({@code access_token}, {@code token_type}, {@code expires_in},
 * {@code expires_at}, {@code refresh_at}, {@code scope}, {@code fingerprint},
 * {@code extra}, {@code authorization_header}) as camelCase accessors. The
 * fields are read when the token is returned; the native token it holds (for
 * {@link M2mClient#requestHeaders}) is freed by {@link #close()} (or, at the
 * latest, by a cleaner once the token is unreachable). {@link #toString()}
 * never shows the access token.
 */
public final class Token implements AutoCloseable {
  private final NativeHandle handle;
  private final Cleaner.Cleanable cleanable;
  private final String accessToken;
  private final String tokenType;
  private final Instant expiresAt;
  private final Instant refreshAt;
  private final String scope;
  private final String fingerprint;
  private final String extra;
  private final String authorizationHeader;

  /** Takes ownership of native token {@code pointer}. */
  Token(MemorySegment pointer) {
    handle = new NativeHandle(pointer, "m2m_token_free", "token");
    cleanable = NativeHandle.CLEANER.register(this, handle::close);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment out = arena.allocate(ValueLayout.JAVA_LONG);
      accessToken = text(pointer, ACCESS_TOKEN, out);
      tokenType = text(pointer, TOKEN_TYPE, out);
      scope = text(pointer, SCOPE, out);
      fingerprint = text(pointer, FINGERPRINT, out);
      extra = text(pointer, EXTRA, out);
      authorizationHeader = text(pointer, AUTHORIZATION_HEADER, out);
      expiresAt = Instant.ofEpochMilli(number(pointer, EXPIRES_AT, out));
      refreshAt = Instant.ofEpochMilli(number(pointer, REFRESH_AT, out));
    }
  }

  private static MethodHandle getter(String field) {
    return Native.fn("m2m_token_" + field, Native.RESULT, Native.PTR, Native.PTR);
  }

  private static final MethodHandle ACCESS_TOKEN = getter("access_token");
  private static final MethodHandle TOKEN_TYPE = getter("token_type");
  private static final MethodHandle SCOPE = getter("scope");
  private static final MethodHandle FINGERPRINT = getter("fingerprint");
  private static final MethodHandle EXTRA = getter("extra");
  private static final MethodHandle AUTHORIZATION_HEADER = getter("authorization_header");
  private static final MethodHandle EXPIRES_AT = getter("expires_at");
  private static final MethodHandle REFRESH_AT = getter("refresh_at");

  private static String text(MemorySegment token, MethodHandle field, MemorySegment out) {
    out.set(Native.PTR, 0, Native.NULL);
    int rc = Native.call2(field, token, out);
    Native.check(rc, null);
    return Native.string(out.get(Native.PTR, 0));
  }

  private static long number(MemorySegment token, MethodHandle field, MemorySegment out) {
    int rc = Native.call2(field, token, out);
    Native.check(rc, null);
    return out.get(ValueLayout.JAVA_LONG, 0);
  }

  /** The native token, for one call (release with {@link #release()}). */
  MemorySegment acquire() {
    return handle.acquire();
  }

  void release() {
    handle.release();
  }

  /** The access token itself (a secret: send it, never log it). */
  public String accessToken() {
    return accessToken;
  }

  /** The token type: {@code Bearer} or {@code DPoP}. */
  public String tokenType() {
    return tokenType;
  }

  /** The remaining lifetime, now (zero once expired). */
  public Duration expiresIn() {
    long ms = expiresAt.toEpochMilli() - System.currentTimeMillis();
    return Duration.ofMillis(Math.max(0, ms));
  }

  /** When the token expires. */
  public Instant expiresAt() {
    return expiresAt;
  }

  /** When the engine starts refreshing it. */
  public Instant refreshAt() {
    return refreshAt;
  }

  /** The granted scope (space-separated), or null when there is none. */
  public String scope() {
    return scope;
  }

  /** A short fingerprint of the access token, safe to log. */
  public String fingerprint() {
    return fingerprint;
  }

  /** Every other field of the token response, as one JSON object ({@code {}} when none). */
  public String extra() {
    return extra;
  }

  /** The {@code Authorization} value: {@code "Bearer <token>"} or {@code "DPoP <token>"} (a secret). */
  public String authorizationHeader() {
    return authorizationHeader;
  }

  /** Frees the native token (idempotent); the fields stay readable. */
  @Override
  public void close() {
    cleanable.clean();
  }

  /** Type, lifetime, scope and fingerprint; never the token. */
  @Override
  public String toString() {
    return "Token[tokenType=" + tokenType + ", expiresIn=" + expiresIn() + ", scope=" + scope + ", fingerprint="
        + fingerprint + "]";
  }
}
