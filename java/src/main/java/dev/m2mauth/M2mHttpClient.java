package dev.m2mauth;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/**
 * Sends {@link java.net.http.HttpRequest}s with a {@link M2mClient}'s token:
 * each request gets the engine's headers ({@link M2mClient#requestHeaders}:
 * {@code Authorization}, and a new {@code DPoP} proof for a DPoP token). An
 * answer that asks for a DPoP nonce is sent once more with a new proof; a 401
 * drops that token ({@link M2mClient#invalidateRejected}) and sends the request
 * once more with a new one. The request is sent again as it was built, so its
 * body publisher must be reusable (those of {@link
 * HttpRequest.BodyPublishers} for strings, bytes and files are). The {@link
 * HttpClient} must not follow redirects (a token must not go to another
 * origin): the default {@code HttpClient.newHttpClient()} does not.
 * Thread-safe.
 */
public final class M2mHttpClient {
  private final M2mClient client;
  private final HttpClient http;
  private final TokenRequest request;

  /** Sends with {@code http}, using {@code client}'s tokens for its defaults. */
  public M2mHttpClient(M2mClient client, HttpClient http) {
    this(client, http, null);
  }

  /** Sends with {@code http}, using {@code client}'s tokens for {@code request} (null: the defaults). */
  public M2mHttpClient(M2mClient client, HttpClient http, TokenRequest request) {
    if (http.followRedirects() != HttpClient.Redirect.NEVER) {
      throw new IllegalArgumentException("m2m-auth: the HttpClient must not follow redirects (the token would go along)");
    }
    this.client = client;
    this.http = http;
    this.request = request;
  }

  /** Sends {@code httpRequest} with the token's headers (see the class comment for the retries). */
  public <T> HttpResponse<T> send(HttpRequest httpRequest, HttpResponse.BodyHandler<T> handler)
      throws IOException, InterruptedException {
    String url = httpRequest.uri().toString();
    Token token = client.token(request);
    try {
      HttpResponse<T> response = signedSend(httpRequest, url, token, handler);
      if (nonceRetry(url, token, response)) {
        response = signedSend(httpRequest, url, token, handler);
        nonceRetry(url, token, response);
      }
      if (response.statusCode() == 401) {
        client.invalidateRejected(token, request);
        token.close();
        token = client.token(request);
        response = signedSend(httpRequest, url, token, handler);
        nonceRetry(url, token, response);
      }
      return response;
    } finally {
      token.close();
    }
  }

  private <T> HttpResponse<T> signedSend(HttpRequest original, String url, Token token,
      HttpResponse.BodyHandler<T> handler) throws IOException, InterruptedException {
    RequestHeaders headers = client.requestHeaders(original.method(), url, token);
    HttpRequest.Builder builder = HttpRequest.newBuilder(original,
        (name, value) -> !name.equalsIgnoreCase("authorization") && !name.equalsIgnoreCase("dpop"));
    builder.setHeader("Authorization", headers.authorization());
    if (headers.dpop() != null) builder.setHeader("DPoP", headers.dpop());
    return http.send(builder.build(), handler);
  }

  private boolean nonceRetry(String url, Token token, HttpResponse<?> response) {
    return client.dpopResponse(url, token, response.statusCode(),
        response.headers().firstValue("www-authenticate").orElse(null),
        response.headers().firstValue("dpop-nonce").orElse(null));
  }

  /** The token client and the request it sends tokens for; no secret. */
  @Override
  public String toString() {
    return "M2mHttpClient[" + client + (request == null ? "" : ", " + request) + "]";
  }
}
