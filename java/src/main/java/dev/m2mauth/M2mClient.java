package dev.m2mauth;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Cleaner;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * An OAuth 2.0 client credentials client (RFC 6749 §4.4) over the m2m-auth
 * engine: tokens cached process-wide, refreshed before they expire, one
 * request per key however many threads ask at once. Thread-safe: create one
 * and share it. Calls that need the network block the calling thread; a fresh
 * cached token is returned without I/O. {@link #close()} frees the native
 * client once no call is using it (a cleaner does it for a client never
 * closed).
 *
 * <pre>{@code
 * try (M2mClient client = M2mClient.create(ClientOptions.builder()
 *         .domain("your-tenant.us.auth0.com").clientId(id).clientSecret(secret)
 *         .audience("https://api.example.com").build());
 *      Token token = client.token()) {
 *   // send token.authorizationHeader() as Authorization
 * }
 * }</pre>
 */
public final class M2mClient implements AutoCloseable {
  private final NativeHandle handle;
  private final Cleaner.Cleanable cleanable;

  private M2mClient(MemorySegment pointer) {
    handle = new NativeHandle(pointer, "m2m_client_free", "client");
    cleanable = NativeHandle.CLEANER.register(this, handle::close);
  }

  /** A client with {@code options}; a {@link ConfigException} for a bad or missing option (before any I/O). */
  public static M2mClient create(ClientOptions options) {
    return new M2mClient(Native.create("m2m_client_new", options.toNative(), "m2m_client_options_free"));
  }

  /** A client from the {@code M2M_AUTH_*} environment variables alone. */
  public static M2mClient fromEnv() {
    return create(ClientOptions.builder().fromEnv().build());
  }

  /** The version of the native library, e.g. {@code "0.1.0"}. */
  public static String version() {
    return Native.version();
  }

  /** A usable token for the client's defaults (from the cache when fresh). */
  public Token token() {
    return token(null);
  }

  /** A usable token for {@code request} (null: the client's defaults), from the cache when fresh. */
  public Token token(TokenRequest request) {
    return tokenCall("m2m_client_get_token", request);
  }

  /** A new token from the token endpoint, bypassing (then updating) the cache. */
  public Token fetchToken(TokenRequest request) {
    return tokenCall("m2m_client_fetch_token", request);
  }

  private Token tokenCall(String function, TokenRequest request) {
    MemorySegment client = handle.acquire();
    MemorySegment rq = Native.NULL;
    try (Arena arena = Arena.ofConfined()) {
      rq = request == null ? Native.NULL : request.toNative();
      MemorySegment out = arena.allocate(Native.PTR);
      MemorySegment err = arena.allocate(Native.PTR);
      int rc = Native.call4(
          Native.fn(function, Native.RESULT, Native.PTR, Native.PTR, Native.PTR, Native.PTR), client, rq, out, err);
      Native.check(rc, err);
      return new Token(out.get(Native.PTR, 0));
    } finally {
      Native.free("m2m_request_free", rq);
      handle.release();
    }
  }

  /** Drops the cached token for {@code request} (null: the client's defaults). */
  public void invalidate(TokenRequest request) {
    MemorySegment client = handle.acquire();
    MemorySegment rq = Native.NULL;
    try (Arena arena = Arena.ofConfined()) {
      rq = request == null ? Native.NULL : request.toNative();
      MemorySegment err = arena.allocate(Native.PTR);
      int rc = (int) Native.invoke(Native.fn("m2m_client_invalidate", Native.RESULT, Native.PTR, Native.PTR, Native.PTR),
          client, rq, err);
      Native.check(rc, err);
    } finally {
      Native.free("m2m_request_free", rq);
      handle.release();
    }
  }

  /**
   * After an API answered 401 to {@code rejected}: drops the cached token for {@code request} (null:
   * the client's defaults) only if it is still that one, so a token another thread renewed is kept.
   */
  public void invalidateRejected(Token rejected, TokenRequest request) {
    invalidateRejected(rejected.accessToken(), request);
  }

  /** {@link #invalidateRejected(Token, TokenRequest)} with the access token's text. */
  public void invalidateRejected(String rejectedAccessToken, TokenRequest request) {
    MemorySegment client = handle.acquire();
    MemorySegment rq = Native.NULL;
    try (Arena arena = Arena.ofConfined()) {
      rq = request == null ? Native.NULL : request.toNative();
      MemorySegment err = arena.allocate(Native.PTR);
      int rc = (int) Native.invoke(Native.fn("m2m_client_invalidate_rejected", Native.RESULT, Native.PTR, Native.PTR,
          Native.PTR, Native.PTR), client, rq, arena.allocateFrom(rejectedAccessToken), err);
      Native.check(rc, err);
    } finally {
      Native.free("m2m_request_free", rq);
      handle.release();
    }
  }

  /**
   * The headers that send {@code token} with the request {@code method url}: {@code Authorization}
   * and, for a DPoP token, a new {@code DPoP} proof. Make new ones for every request, retries included.
   */
  public RequestHeaders requestHeaders(String method, String url, Token token) {
    MemorySegment client = handle.acquire();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment t = token.acquire();
      try {
        MemorySegment out = arena.allocate(Native.PTR);
        MemorySegment err = arena.allocate(Native.PTR);
        int rc = (int) Native.invoke(Native.fn("m2m_client_request_headers", Native.RESULT, Native.PTR, Native.PTR,
            Native.PTR, Native.PTR, Native.PTR, Native.PTR), client, arena.allocateFrom(method),
            arena.allocateFrom(url), t, out, err);
        Native.check(rc, err);
        MemorySegment h = out.get(Native.PTR, 0);
        try {
          return new RequestHeaders(Native.getString("m2m_request_headers_authorization", h),
              Native.getString("m2m_request_headers_dpop", h));
        } finally {
          Native.free("m2m_request_headers_free", h);
        }
      } finally {
        token.release();
      }
    } finally {
      handle.release();
    }
  }

  /**
   * Reads an API's answer to a request for {@code url} sent with {@code token} (its status and its
   * {@code WWW-Authenticate} and {@code DPoP-Nonce} headers, null when absent): remembers a DPoP
   * nonce, and returns true exactly when the request should go once more with new headers and the
   * same token (a {@code use_dpop_nonce} challenge). Call it after every answer.
   */
  public boolean dpopResponse(String url, Token token, int status, String wwwAuthenticate, String dpopNonce) {
    MemorySegment client = handle.acquire();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment t = token.acquire();
      try {
        MemorySegment retry = arena.allocate(ValueLayout.JAVA_BOOLEAN);
        int rc = (int) Native.invoke(Native.fn("m2m_client_dpop_response", Native.RESULT, Native.PTR, Native.PTR,
            Native.PTR, ValueLayout.JAVA_SHORT, Native.PTR, Native.PTR, Native.PTR), client, arena.allocateFrom(url),
            t, (short) status, wwwAuthenticate == null ? Native.NULL : arena.allocateFrom(wwwAuthenticate),
            dpopNonce == null ? Native.NULL : arena.allocateFrom(dpopNonce), retry);
        Native.check(rc, null);
        return retry.get(ValueLayout.JAVA_BOOLEAN, 0);
      } finally {
        token.release();
      }
    } finally {
      handle.release();
    }
  }

  /** The RFC 7638 thumbprint of the client's DPoP key; null with {@code dpop} off. */
  public String dpopThumbprint() {
    MemorySegment client = handle.acquire();
    try {
      return Native.getString("m2m_client_dpop_thumbprint", client);
    } finally {
      handle.release();
    }
  }

  /**
   * Calls an API with the token for {@code request} (null: the client's defaults) through the
   * engine's own HTTP client: on a 401 the token is renewed once and the call made again. {@code
   * headers} are {@code "Name: value"} lines; {@code body} may be null. Any status is an answer.
   */
  public ApiResponse callApi(String method, String url, List<String> headers, byte[] body, TokenRequest request) {
    MemorySegment client = handle.acquire();
    MemorySegment rq = Native.NULL;
    try (Arena arena = Arena.ofConfined()) {
      rq = request == null ? Native.NULL : request.toNative();
      int n = headers == null ? 0 : headers.size();
      MemorySegment lines = n == 0 ? Native.NULL : arena.allocate(Native.PTR, n);
      for (int i = 0; i < n; i++) lines.setAtIndex(Native.PTR, i, arena.allocateFrom(headers.get(i)));
      MemorySegment bytes = body == null ? Native.NULL : arena.allocateFrom(ValueLayout.JAVA_BYTE, body);
      MemorySegment out = arena.allocate(Native.PTR);
      MemorySegment err = arena.allocate(Native.PTR);
      int rc = (int) Native.invoke(Native.fn("m2m_client_call_api", Native.RESULT, Native.PTR, Native.PTR, Native.PTR,
          Native.PTR, Native.PTR, ValueLayout.JAVA_LONG, Native.PTR, ValueLayout.JAVA_LONG, Native.PTR, Native.PTR),
          client, rq, arena.allocateFrom(method), arena.allocateFrom(url), lines, (long) n, bytes,
          body == null ? 0L : (long) body.length, out, err);
      Native.check(rc, err);
      MemorySegment response = out.get(Native.PTR, 0);
      try {
        MemorySegment status = arena.allocate(ValueLayout.JAVA_SHORT);
        Native.check((int) Native.invoke(Native.fn("m2m_api_response_status", Native.RESULT, Native.PTR, Native.PTR),
            response, status), null);
        MemorySegment data = arena.allocate(Native.PTR);
        MemorySegment len = arena.allocate(ValueLayout.JAVA_LONG);
        Native.check((int) Native.invoke(Native.fn("m2m_api_response_body", Native.RESULT, Native.PTR, Native.PTR,
            Native.PTR), response, data, len), null);
        long size = len.get(ValueLayout.JAVA_LONG, 0);
        byte[] content = data.get(Native.PTR, 0).reinterpret(size).toArray(ValueLayout.JAVA_BYTE);
        return new ApiResponse(Short.toUnsignedInt(status.get(ValueLayout.JAVA_SHORT, 0)), content);
      } finally {
        Native.free("m2m_api_response_free", response);
      }
    } finally {
      Native.free("m2m_request_free", rq);
      handle.release();
    }
  }

  /** A snapshot of the client's counters. */
  public Stats stats() {
    MemorySegment client = handle.acquire();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment out = arena.allocate(Native.PTR);
      Native.check((int) Native.invoke(Native.fn("m2m_client_stats", Native.RESULT, Native.PTR, Native.PTR), client, out),
          null);
      MemorySegment s = out.get(Native.PTR, 0);
      try {
        return new Stats(Native.getLong("m2m_stats_hits", s), Native.getLong("m2m_stats_misses", s),
            Native.getLong("m2m_stats_fetches", s), Native.getLong("m2m_stats_refreshes", s),
            Native.getLong("m2m_stats_failures", s), Native.getLong("m2m_stats_shared_hits", s),
            Native.getLong("m2m_stats_store_errors", s), Native.getLong("m2m_stats_throttles", s),
            Native.getLong("m2m_stats_quota_remaining", s));
      } finally {
        Native.free("m2m_stats_free", s);
      }
    } finally {
      handle.release();
    }
  }

  /** The token quota buckets the token endpoint last reported (empty when none). */
  public List<QuotaBucket> quota() {
    MemorySegment client = handle.acquire();
    try (Arena arena = Arena.ofConfined()) {
      long n = (long) Native.invoke(Native.fn("m2m_client_quota_count", ValueLayout.JAVA_LONG, Native.PTR), client);
      List<QuotaBucket> buckets = new ArrayList<>();
      // m2m_quota_bucket: two pointers, two uint64, one int64.
      MemorySegment b = arena.allocate(40, 8);
      for (long i = 0; i < n; i++) {
        int rc = (int) Native.invoke(Native.fn("m2m_client_quota_bucket", Native.RESULT, Native.PTR,
            ValueLayout.JAVA_LONG, Native.PTR), client, i, b);
        if (rc == 104) break; // not_found: the buckets changed since the count
        Native.check(rc, null);
        buckets.add(new QuotaBucket(Native.string(b.get(Native.PTR, 0)), Native.string(b.get(Native.PTR, 8)),
            b.get(ValueLayout.JAVA_LONG, 16), b.get(ValueLayout.JAVA_LONG, 24),
            Instant.ofEpochMilli(b.get(ValueLayout.JAVA_LONG, 32))));
      }
      return buckets;
    } finally {
      handle.release();
    }
  }

  /** The client id. */
  public String clientId() {
    MemorySegment client = handle.acquire();
    try {
      return Native.getString("m2m_client_client_id", client);
    } finally {
      handle.release();
    }
  }

  /** The client authentication method ({@code client_secret_post}, {@code private_key_jwt} ...). */
  public String authMethod() {
    MemorySegment client = handle.acquire();
    try {
      return Native.getString("m2m_client_auth_method", client);
    } finally {
      handle.release();
    }
  }

  /** Frees the native client once no call is using it (idempotent); later calls throw IllegalStateException. */
  @Override
  public void close() {
    cleanable.clean();
  }

  /** The client id and method; never a secret. */
  @Override
  public String toString() {
    if (handle.isClosed()) return "M2mClient[closed]";
    return "M2mClient[clientId=" + clientId() + ", authMethod=" + authMethod() + "]";
  }
}
