package dev.m2mauth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** {@link M2mHttpClient}: the header goes along, a 401 renews the token once, redirects are refused. */
class HttpClientTest {
  private static final HttpClient HTTP = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();

  private static HttpResponse<String> get(M2mHttpClient api, DevServer server) throws Exception {
    return api.send(HttpRequest.newBuilder(URI.create(server.apiUrl)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void sendsTheHeaderAndReusesTheToken() throws Exception {
    try (DevServer server = Servers.start(); M2mClient client = M2mClient.create(Servers.options(server).build())) {
      M2mHttpClient api = new M2mHttpClient(client, HTTP);
      HttpResponse<String> first = get(api, server);
      HttpResponse<String> second = get(api, server);
      assertEquals(200, first.statusCode(), first.body());
      assertEquals(200, second.statusCode());
      assertTrue(first.body().contains("\"client_id\":\"" + Servers.CLIENT_ID + "\""), first.body());
      assertEquals(1, server.tokenRequests(), "the second call uses the cached token");
      assertEquals(2, server.apiRequests());
      String recorded = server.requests().get(0).toString();
      assertTrue(!recorded.contains(Servers.SECRET), "the dev server records fingerprints only");
    }
  }

  @Test
  void renewsOnceOn401() throws Exception {
    try (DevServer server = Servers.start(); M2mClient client = M2mClient.create(Servers.options(server).build())) {
      M2mHttpClient api = new M2mHttpClient(client, HTTP);
      String before;
      try (Token t = client.token()) {
        before = t.accessToken();
      }
      server.faults("api", JsonParser.parseString(
          "[{\"status\": 401, \"json\": {\"error\": \"invalid_token\"}, \"headers\": {\"WWW-Authenticate\": \"Bearer error=\\\"invalid_token\\\"\"}}]"), false);
      HttpResponse<String> r = get(api, server);
      assertEquals(200, r.statusCode());
      assertEquals(2, server.tokenRequests(), "one renewal");
      assertEquals(2, server.apiRequests());
      try (Token t = client.token()) {
        assertTrue(!t.accessToken().equals(before), "the rejected token left the cache");
      }
    }
  }

  @Test
  void a401TwiceIsReturned() throws Exception {
    try (DevServer server = Servers.start(); M2mClient client = M2mClient.create(Servers.options(server).build())) {
      server.faults("api", JsonParser.parseString("[{\"status\": 401, \"json\": {\"error\": \"invalid_token\"}}]"), true);
      HttpResponse<String> r = get(new M2mHttpClient(client, HTTP), server);
      assertEquals(401, r.statusCode());
      assertEquals(2, server.tokenRequests(), "renewed once, not more");
      assertEquals(2, server.apiRequests());
    }
  }

  @Test
  void a403IsNotRenewed() throws Exception {
    try (DevServer server = Servers.start(); M2mClient client = M2mClient.create(Servers.options(server).build())) {
      server.faults("api", JsonParser.parseString("[{\"status\": 403}]"), false);
      assertEquals(403, get(new M2mHttpClient(client, HTTP), server).statusCode());
      assertEquals(1, server.tokenRequests());
      assertEquals(1, server.apiRequests());
    }
  }

  @Test
  void refusesAClientThatFollowsRedirects() throws Exception {
    try (DevServer server = Servers.start(); M2mClient client = M2mClient.create(Servers.options(server).build())) {
      HttpClient follows = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
      assertThrows(IllegalArgumentException.class, () -> new M2mHttpClient(client, follows));
    }
  }

  @Test
  void engineCallApiToo() throws Exception {
    try (DevServer server = Servers.start(); M2mClient client = M2mClient.create(Servers.options(server).build())) {
      ApiResponse r = client.callApi("GET", server.apiUrl, null, null, null);
      assertEquals(200, r.status());
      assertTrue(r.bodyText().contains("\"ok\":true"), r.bodyText());
    }
  }
}
