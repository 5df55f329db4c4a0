package oauth2src_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	m2mauth "github.com/m2m-auth/m2m-auth/go"
	"github.com/m2m-auth/m2m-auth/go/internal/devserver"
	"github.com/m2m-auth/m2m-auth/go/oauth2src"
	"golang.org/x/oauth2"
)

func TestTokenSource(t *testing.T) {
	srv, err := devserver.Start(`{"clients": [{"client_id": "oauth2-client", "client_secret": "oauth2-secret", "token_lifetime": 3600}]}`)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	client, err := m2mauth.NewClient(m2mauth.Options{TokenURL: srv.TokenURL, ClientID: "oauth2-client",
		ClientSecret: "oauth2-secret", Audience: "https://api.example.com", Scope: []string{"read:data"}, NoProxy: true})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	src := oauth2src.New(client)
	tok, err := src.Token()
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Valid() || tok.TokenType != "Bearer" || tok.Type() != "Bearer" || tok.Extra("scope") != "read:data" ||
		time.Until(tok.Expiry) < 59*time.Minute {
		t.Fatalf("token: type %q, expiry %v, scope %v", tok.TokenType, tok.Expiry, tok.Extra("scope"))
	}
	// oauth2's own client calls the dev server's /api with it.
	hc := oauth2.NewClient(context.WithValue(context.Background(), oauth2.HTTPClient,
		&http.Client{Transport: &http.Transport{Proxy: nil}}), src)
	resp, err := hc.Get(srv.APIURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("the API answered %d: %s", resp.StatusCode, body)
	}
	st, _ := srv.Stats()
	if st["token_requests"] != 1 {
		t.Fatalf("the server saw %d token requests, expected 1 (the engine's cache)", st["token_requests"])
	}
	// Errors are the engine's; a context bounds the wait.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := src.WithContext(ctx).Token(); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled context: %v", err)
	}
	bad, _ := m2mauth.NewClient(m2mauth.Options{TokenURL: srv.TokenURL, ClientID: "oauth2-client",
		ClientSecret: "wrong", NoProxy: true})
	defer bad.Close()
	var e *m2mauth.Error
	if _, err := oauth2src.New(bad).Token(); !errors.As(err, &e) || e.OAuthError != "invalid_client" {
		t.Fatalf("a bad secret: %v", err)
	}
}
