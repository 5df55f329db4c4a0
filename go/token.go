package m2mauth

/*
#include <m2m_auth.h>

// Every field of a token in one call from Go (a cgo call costs more than
// the getters).
typedef struct {
  m2m_result rc;
  const char *access_token, *token_type, *authorization_header, *scope, *fingerprint, *extra;
  uint64_t expires_in;
  int64_t expires_at, refresh_at;
} go_token_fields;

static void go_token_read(const m2m_token *t, go_token_fields *f) {
  f->rc = m2m_token_access_token(t, &f->access_token);
  if (f->rc != M2M_OK) return;
  m2m_token_token_type(t, &f->token_type);
  m2m_token_authorization_header(t, &f->authorization_header);
  m2m_token_scope(t, &f->scope);
  m2m_token_fingerprint(t, &f->fingerprint);
  m2m_token_extra(t, &f->extra);
  m2m_token_expires_in(t, &f->expires_in);
  m2m_token_expires_at(t, &f->expires_at);
  m2m_token_refresh_at(t, &f->refresh_at);
}
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"runtime"
	"time"
)

// Token is an access token and what the server said about it, with the
// token fields of the surface (tests/surface.json). It is a copy: keep
// calling Client.Token rather than keeping a Token (a fresh cached token
// costs no I/O). Printing a Token (String, GoString, %v, %+v, %#v) never
// shows AccessToken or AuthorizationHeader.
type Token struct {
	// AccessToken is the credential to send (never printed).
	AccessToken string
	// TokenType is "Bearer", or "DPoP" for a token bound to the client's
	// DPoP key.
	TokenType string
	// ExpiresIn is the lifetime left when the call returned.
	ExpiresIn time.Duration
	// ExpiresAt is when the token expires.
	ExpiresAt time.Time
	// RefreshAt is when the engine starts renewing it in the background.
	RefreshAt time.Time
	// Scope is the granted scope, space-separated ("" for none).
	Scope string
	// Fingerprint is a short SHA-256 fingerprint of the token, safe to log.
	Fingerprint string
	// Extra holds every other field of the token response.
	Extra map[string]any
	// AuthorizationHeader is the Authorization value, "Bearer <token>" or
	// "DPoP <token>" (a DPoP token also needs a proof: use
	// Client.Transport or Client.RequestHeaders). Never printed.
	AuthorizationHeader string

	ref *tokenRef // the engine's token, for RequestHeaders and DPoPResponse
}

// tokenRef holds a C token handle, freed once no Token refers to it.
type tokenRef struct{ tok *C.m2m_token }

func newTokenRef(tok *C.m2m_token) *tokenRef {
	r := &tokenRef{tok}
	runtime.AddCleanup(r, func(t *C.m2m_token) { C.m2m_token_free(t) }, tok)
	return r
}

// String describes the token without the token itself.
func (t Token) String() string {
	return fmt.Sprintf("%s token %s, expires in %s, scope %q", t.TokenType, t.Fingerprint,
		t.ExpiresIn.Round(time.Second), t.Scope)
}

// GoString is String (so %#v shows no secret either).
func (t Token) GoString() string { return "m2mauth.Token{" + t.String() + "}" }

// Format prints String for every verb, so that no verb shows the token.
func (t Token) Format(f fmt.State, verb rune) { _, _ = fmt.Fprint(f, t.String()) }

// tokenOf copies a C token's fields (the handle stays the caller's).
func tokenOf(tok *C.m2m_token) (*Token, error) {
	var f C.go_token_fields
	C.go_token_read(tok, &f)
	if f.rc != C.M2M_OK {
		return nil, check(f.rc, "m2m_token_access_token")
	}
	t := &Token{
		AccessToken:         goString(f.access_token),
		TokenType:           goString(f.token_type),
		ExpiresIn:           time.Duration(f.expires_in) * time.Millisecond,
		ExpiresAt:           time.UnixMilli(int64(f.expires_at)),
		RefreshAt:           time.UnixMilli(int64(f.refresh_at)),
		Scope:               goString(f.scope),
		Fingerprint:         goString(f.fingerprint),
		AuthorizationHeader: goString(f.authorization_header),
	}
	if e := goString(f.extra); e != "" && e != "{}" {
		if err := json.Unmarshal([]byte(e), &t.Extra); err != nil {
			return nil, &Error{Code: ErrInvalidResponse, Message: "invalid_response: the token's extra fields are not a JSON object"}
		}
	}
	return t, nil
}
