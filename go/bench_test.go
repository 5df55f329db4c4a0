package m2mauth_test

import (
	"context"
	"testing"
	"time"

	m2mauth "github.com/m2m-auth/m2m-auth/go"
)

// The cached path: Token on a fresh cached token, with a context that
// cannot end (the C call made inline) and with one that can (the C call
// made on a goroutine so that Token can return when the context ends).
func BenchmarkTokenCached(b *testing.B) {
	t := &testing.T{}
	srv := startServer(t)
	defer srv.Stop()
	cl, err := m2mauth.NewClient(m2mauth.Options{TokenURL: srv.TokenURL, ClientID: testClientID,
		ClientSecret: testSecret, Audience: testAudience, NoProxy: true})
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	if _, err := cl.Token(context.Background()); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	for _, c := range []struct {
		name string
		ctx  context.Context
	}{{"background", context.Background()}, {"cancellable", ctx}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := cl.Token(c.ctx); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
