package m2mauth

/*
#include <m2m_auth.h>
*/
import "C"

import (
	"encoding/json"
	"fmt"
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
	// Client.Transport). Never printed.
	AuthorizationHeader string
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
	var at, tt, hdr, scope, fp, extra *C.char
	var expiresIn C.uint64_t
	var expiresAt, refreshAt C.int64_t
	if rc := C.m2m_token_access_token(tok, &at); rc != C.M2M_OK {
		return nil, check(rc, "m2m_token_access_token")
	}
	C.m2m_token_token_type(tok, &tt)
	C.m2m_token_authorization_header(tok, &hdr)
	C.m2m_token_expires_in(tok, &expiresIn)
	C.m2m_token_expires_at(tok, &expiresAt)
	C.m2m_token_refresh_at(tok, &refreshAt)
	C.m2m_token_scope(tok, &scope)
	C.m2m_token_fingerprint(tok, &fp)
	C.m2m_token_extra(tok, &extra)
	t := &Token{
		AccessToken:         goString(at),
		TokenType:           goString(tt),
		ExpiresIn:           time.Duration(expiresIn) * time.Millisecond,
		ExpiresAt:           time.UnixMilli(int64(expiresAt)),
		RefreshAt:           time.UnixMilli(int64(refreshAt)),
		Scope:               goString(scope),
		Fingerprint:         goString(fp),
		AuthorizationHeader: goString(hdr),
	}
	if e := goString(extra); e != "" {
		if err := json.Unmarshal([]byte(e), &t.Extra); err != nil {
			return nil, &Error{Code: ErrInvalidResponse, Message: "invalid_response: the token's extra fields are not a JSON object"}
		}
	}
	return t, nil
}
