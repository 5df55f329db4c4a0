// Call your API using the Client Credentials Flow, in Java: request a token
// for your API's audience, then call the API with "Authorization: Bearer <token>".
// Run: java --enable-native-access=ALL-UNNAMED -cp m2m-auth-0.1.0.jar Quickstart.java
import dev.m2mauth.ClientOptions;
import dev.m2mauth.M2mClient;
import dev.m2mauth.Token;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

public class Quickstart {
  public static void main(String[] args) throws Exception {
    // Your Auth0 application's domain, client id and secret, and your API's
    // identifier (its audience). Keep the secret out of the code.
    ClientOptions options = ClientOptions.builder()
        .domain(System.getenv("AUTH0_DOMAIN")) // e.g. your-tenant.us.auth0.com
        .clientId(System.getenv("AUTH0_CLIENT_ID"))
        .clientSecret(System.getenv("AUTH0_CLIENT_SECRET"))
        .audience(System.getenv("API_AUDIENCE")) // e.g. https://quickstarts/api
        .build();
    // One client for the whole program: it caches the token and renews it.
    try (M2mClient client = M2mClient.create(options)) {
      // 1. Request a token (cached and refreshed for you from then on).
      String authorization;
      try (Token token = client.token()) {
        System.out.printf("%s token, expires in %d s%n", token.tokenType(), token.expiresIn().toSeconds());
        authorization = token.authorizationHeader();
      }

      // 2. Call your API with it: "Authorization: Bearer <token>".
      String api = System.getenv("API_URL"); // e.g. http://localhost:3010/api/private
      HttpRequest request = HttpRequest.newBuilder(URI.create(api)).header("Authorization", authorization).build();
      HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
      System.out.printf("API answered %d: %s%n", response.statusCode(), response.body());
    }
  }
}
