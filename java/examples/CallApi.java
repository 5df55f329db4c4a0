// Every request with the token, renewed once if the API answers 401:
// M2mHttpClient wraps a java.net.http.HttpClient. Options from M2M_AUTH_*.
import dev.m2mauth.M2mClient;
import dev.m2mauth.M2mHttpClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

public class CallApi {
  public static void main(String[] args) throws Exception {
    // M2M_AUTH_DOMAIN (or _TOKEN_URL / _ISSUER), M2M_AUTH_CLIENT_ID,
    // M2M_AUTH_CLIENT_SECRET, M2M_AUTH_AUDIENCE, ...
    try (M2mClient client = M2mClient.fromEnv()) {
      M2mHttpClient http = new M2mHttpClient(client, HttpClient.newHttpClient());
      HttpRequest request = HttpRequest.newBuilder(URI.create(System.getenv("API_URL"))).build();
      for (int i = 0; i < 2; i++) { // the second call reuses the cached token
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        System.out.printf("API answered %d: %s%n", response.statusCode(), response.body());
      }
      System.out.println("token requests made: " + client.stats().fetches());
    }
  }
}
