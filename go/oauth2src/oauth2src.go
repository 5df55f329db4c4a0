// Package oauth2src adapts an m2mauth.Client to golang.org/x/oauth2: a
// TokenSource whose tokens come from the engine's cache (refreshed ahead,
// single flight, retries), for code written against oauth2.TokenSource.
//
//	src := oauth2src.New(client)
//	http := oauth2.NewClient(ctx, src) // Authorization: Bearer <token>
//
// oauth2.Transport sends "Authorization: <type> <token>" only: it cannot
// add a DPoP proof or renew on a 401. For those, use client.Transport.
package oauth2src

import (
	"context"

	m2mauth "github.com/m2m-auth/m2m-auth/go"
	"golang.org/x/oauth2"
)

// Source is an oauth2.TokenSource over an m2mauth.Client.
type Source struct {
	client *m2mauth.Client
	ctx    context.Context
	req    []m2mauth.Request
}

// New is a TokenSource giving client's token for its defaults, or for req
// (at most one). Each Token call asks the engine, whose cache answers a
// fresh token without I/O.
func New(client *m2mauth.Client, req ...m2mauth.Request) *Source {
	return &Source{client: client, ctx: context.Background(), req: req}
}

// WithContext is a copy of s whose Token calls are bounded by ctx.
func (s *Source) WithContext(ctx context.Context) *Source {
	c := *s
	c.ctx = ctx
	return &c
}

// Token returns the engine's token as an oauth2.Token: AccessToken,
// TokenType, Expiry (the token's expires_at) and the extra fields (Extra
// also gives "scope"). Errors are *m2mauth.Error, or the context's.
func (s *Source) Token() (*oauth2.Token, error) {
	t, err := s.client.Token(s.ctx, s.req...)
	if err != nil {
		return nil, err
	}
	raw := map[string]any{"scope": t.Scope}
	for k, v := range t.Extra {
		raw[k] = v
	}
	tok := &oauth2.Token{
		AccessToken: t.AccessToken,
		TokenType:   t.TokenType,
		Expiry:      t.ExpiresAt,
		ExpiresIn:   int64(t.ExpiresIn.Seconds()),
	}
	return tok.WithExtra(raw), nil
}

var _ oauth2.TokenSource = (*Source)(nil)
