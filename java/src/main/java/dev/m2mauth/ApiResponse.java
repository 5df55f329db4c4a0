package dev.m2mauth;

import java.nio.charset.StandardCharsets;

/**
 * An API's answer to {@link M2mClient#callApi}: its status and body. (For the
 * headers, use {@link M2mHttpClient}.)
 *
 * @param status the HTTP status
 * @param body the body's bytes
 */
public record ApiResponse(int status, byte[] body) {
  /** The body as UTF-8 text. */
  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }

  /** Status and body length. */
  @Override
  public String toString() {
    return "ApiResponse[status=" + status + ", body=" + body.length + " bytes]";
  }
}
