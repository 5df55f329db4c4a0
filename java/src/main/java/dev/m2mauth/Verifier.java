package dev.m2mauth;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Cleaner;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Verifies RFC 9068 access tokens for an API: the engine's verifier (keys
 * from the JWKS, fetched and cached; exact {@code iss} / {@code aud} / {@code
 * exp}; an algorithm allowlist; a verified-token cache; DPoP proofs).
 * Thread-safe; {@link #close()} frees it once no call is using it. A refused
 * token is an {@link InvalidTokenException} (its {@code reason()}) or an
 * {@link InsufficientScopeException}; either's {@link
 * M2mAuthException#challenge()} is the answer to send.
 */
public final class Verifier implements AutoCloseable {
  private final NativeHandle handle;
  private final Cleaner.Cleanable cleanable;

  private Verifier(MemorySegment pointer) {
    handle = new NativeHandle(pointer, "m2m_verifier_free", "verifier");
    cleanable = NativeHandle.CLEANER.register(this, handle::close);
  }

  /** A verifier with {@code options}; a {@link ConfigException} for a bad or missing option (before any I/O). */
  public static Verifier create(VerifierOptions options) {
    return new Verifier(Native.create("m2m_verifier_new", options.toNative(), "m2m_verifier_options_free"));
  }

  private static MemorySegment text(Arena arena, String s) {
    return s == null ? Native.NULL : arena.allocateFrom(s);
  }

  /** Verifies a bare access token (the compact JWS, without {@code Bearer }). */
  public Claims verify(String token) {
    return call("m2m_verifier_verify", null, token);
  }

  /**
   * Verifies a request's {@code Authorization} header as it arrived (null when absent), then
   * requires every scope of {@code scopes} (space-separated; null for none).
   */
  public Claims verifyRequest(String authorization, String scopes) {
    return call("m2m_verifier_verify_request", authorization, authorization, scopes);
  }

  /**
   * Verifies an HTTP request as the API received it ({@code method}, the absolute {@code url} the
   * client addressed, its {@code Authorization} and {@code DPoP} headers, null when absent), then
   * requires every scope of {@code scopes}: a Bearer token, or a DPoP-bound token with its proof.
   */
  public Claims verifyHttpRequest(String method, String url, String authorization, String dpop, String scopes) {
    return call("m2m_verifier_verify_http_request", authorization, method, url, authorization, dpop, scopes);
  }

  private Claims call(String function, String authorization, String... args) {
    MemorySegment v = handle.acquire();
    try (Arena arena = Arena.ofConfined()) {
      Object[] values = new Object[args.length + 3];
      java.lang.foreign.MemoryLayout[] layouts = new java.lang.foreign.MemoryLayout[args.length + 3];
      values[0] = v;
      for (int i = 0; i < args.length; i++) values[i + 1] = text(arena, args[i]);
      MemorySegment out = arena.allocate(Native.PTR);
      MemorySegment err = arena.allocate(Native.PTR);
      values[args.length + 1] = out;
      values[args.length + 2] = err;
      java.util.Arrays.fill(layouts, Native.PTR);
      int rc = (int) Native.invoke(Native.fn(function, Native.RESULT, layouts), values);
      if (rc != 0) throw Native.error(rc, err.get(Native.PTR, 0), e -> challenge(v, e, authorization));
      return claims(out.get(Native.PTR, 0));
    } finally {
      handle.release();
    }
  }

  /** The verifier's answer to native error {@code err} (before it is freed). */
  private static Challenge challenge(MemorySegment verifier, MemorySegment err, String authorization) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment status = arena.allocate(ValueLayout.JAVA_SHORT);
      MemorySegment www = arena.allocate(Native.PTR);
      MemorySegment nonce = arena.allocate(Native.PTR);
      int rc = (int) Native.invoke(Native.fn("m2m_verifier_challenge", Native.RESULT, Native.PTR, Native.PTR,
          Native.PTR, Native.PTR, Native.PTR, Native.PTR, Native.PTR), verifier, err, text(arena, authorization),
          Native.NULL, status, www, nonce);
      if (rc != 0) return null;
      return new Challenge(Short.toUnsignedInt(status.get(ValueLayout.JAVA_SHORT, 0)),
          Native.string(www.get(Native.PTR, 0)), Native.string(nonce.get(Native.PTR, 0)));
    }
  }

  private static Instant time(long ms) {
    return ms == 0 ? null : Instant.ofEpochMilli(ms);
  }

  /** Reads and frees native claims. */
  private static Claims claims(MemorySegment c) {
    try {
      List<String> audience = list(c, "m2m_claims_audience");
      List<String> scopes = list(c, "m2m_claims_scopes");
      return new Claims(Native.getString("m2m_claims_issuer", c), Native.getString("m2m_claims_subject", c), audience,
          Native.getString("m2m_claims_client_id", c), scopes, time(Native.getLong("m2m_claims_expires_at", c)),
          time(Native.getLong("m2m_claims_issued_at", c)), time(Native.getLong("m2m_claims_not_before", c)),
          Native.getString("m2m_claims_jwt_id", c), Native.getString("m2m_claims_json", c));
    } finally {
      Native.free("m2m_claims_free", c);
    }
  }

  private static List<String> list(MemorySegment c, String getter) {
    long n = Native.getLong(getter + "_count", c);
    List<String> out = new ArrayList<>();
    for (long i = 0; i < n; i++) {
      out.add(Native.string((MemorySegment) Native.invoke(Native.fn(getter, Native.PTR, Native.PTR,
          ValueLayout.JAVA_LONG), c, i)));
    }
    return List.copyOf(out);
  }

  /** The DPoP nonce to send now as {@code DPoP-Nonce} (in nonce mode), or null. */
  public String dpopNonce() {
    MemorySegment v = handle.acquire();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment out = arena.allocate(Native.PTR);
      Native.check((int) Native.invoke(Native.fn("m2m_verifier_dpop_nonce", Native.RESULT, Native.PTR, Native.PTR), v,
          out), null);
      MemorySegment nonce = out.get(Native.PTR, 0);
      try {
        return Native.string(nonce);
      } finally {
        Native.free("m2m_dpop_nonce_free", nonce);
      }
    } finally {
      handle.release();
    }
  }

  /** A snapshot of the counters. */
  public VerifierStats stats() {
    MemorySegment v = handle.acquire();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment out = arena.allocate(Native.PTR);
      Native.check((int) Native.invoke(Native.fn("m2m_verifier_stats", Native.RESULT, Native.PTR, Native.PTR), v, out),
          null);
      MemorySegment s = out.get(Native.PTR, 0);
      try {
        return new VerifierStats(Native.getLong("m2m_verifier_counters_verified", s),
            Native.getLong("m2m_verifier_counters_cache_hits", s), Native.getLong("m2m_verifier_counters_jwks_fetches", s),
            Native.getLong("m2m_verifier_counters_failures", s));
      } finally {
        Native.free("m2m_verifier_counters_free", s);
      }
    } finally {
      handle.release();
    }
  }

  /** Frees the native verifier once no call is using it (idempotent). */
  @Override
  public void close() {
    cleanable.clean();
  }

  @Override
  public String toString() {
    return handle.isClosed() ? "Verifier[closed]" : "Verifier[]";
  }
}
