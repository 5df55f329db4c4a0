// Call your API using the Client Credentials Flow, in Go: request a token
// for your API's audience, then call the API with "Authorization: Bearer
// <token>" (here through client.Transport, which adds the header).
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"

	m2mauth "github.com/m2m-auth/m2m-auth/go"
)

func main() {
	// Your Auth0 application's domain, client id and secret, and your API's
	// identifier (its audience). Keep the secret out of the code.
	client, err := m2mauth.NewClient(m2mauth.Options{
		Domain:       os.Getenv("AUTH0_DOMAIN"), // e.g. your-tenant.us.auth0.com
		ClientID:     os.Getenv("AUTH0_CLIENT_ID"),
		ClientSecret: os.Getenv("AUTH0_CLIENT_SECRET"),
		Audience:     os.Getenv("API_AUDIENCE"), // e.g. https://quickstarts/api
	})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	// 1. Request a token (cached and refreshed for you from then on).
	token, err := client.Token(context.Background())
	if err != nil {
		log.Fatal(err) // an *m2mauth.Error: errors.As gives its fields
	}
	fmt.Printf("%s token, expires in %d s\n", token.TokenType, int(token.ExpiresIn.Seconds()))

	// 2. Call your API with it: "Authorization: Bearer <token>" (renewed
	// once if the API answers 401).
	api := &http.Client{Transport: client.Transport(nil)}
	resp, err := api.Get(os.Getenv("API_URL")) // e.g. http://localhost:3010/api/private
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Printf("API answered %d: %s\n", resp.StatusCode, body)
	if resp.StatusCode != http.StatusOK {
		os.Exit(1)
	}
}
