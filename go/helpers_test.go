package m2mauth_test

import (
	"testing"

	m2mauth "github.com/m2m-auth/m2m-auth/go"
	"github.com/m2m-auth/m2m-auth/go/internal/devserver"
)

const (
	testClientID = "go-client"
	testSecret   = "go-secret+/ =&"
	testAudience = "https://api.example.com"
)

// startServer starts a dev server with the test client (stopped at the
// end of the test).
func startServer(t *testing.T) *devserver.Server {
	t.Helper()
	srv, err := devserver.Start(`{"clients": [{"client_id": "go-client", "client_secret": "go-secret+/ =&", "token_lifetime": 3600}]}`)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return srv
}

// newClient builds a client of srv's test client (closed at the end).
func newClient(t *testing.T, srv *devserver.Server, o m2mauth.Options) *m2mauth.Client {
	t.Helper()
	if o.TokenURL == "" {
		o.TokenURL = srv.TokenURL
	}
	if o.ClientID == "" {
		o.ClientID = testClientID
	}
	if o.ClientSecret == "" {
		o.ClientSecret = testSecret
	}
	if o.Audience == "" {
		o.Audience = testAudience
	}
	o.NoProxy = true
	c, err := m2mauth.NewClient(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// tokenRequests is the number of token requests srv saw.
func tokenRequests(t *testing.T, srv *devserver.Server) int64 {
	t.Helper()
	st, err := srv.Stats()
	if err != nil {
		t.Fatal(err)
	}
	return st["token_requests"]
}
