package m2mauth

/*
#include <m2m_auth.h>
*/
import "C"

import (
	"time"
)

// Code is an error code of docs/design.md §6 ("config", "oauth", "http",
// "transport", "invalid_response", "throttled", "cache", ...), or one of
// the C library's own ("null_argument", "invalid_utf8", "panic", ...).
// A Code is itself an error, so that the constants below work as
// sentinels: errors.Is(err, m2mauth.ErrOAuth).
type Code string

// Error makes a Code usable as a sentinel error.
func (c Code) Error() string { return "m2m-auth: " + string(c) }

// The codes of docs/design.md §6, usable with errors.Is.
const (
	// ErrConfig: a bad or missing option, a refused URL, a closed client.
	ErrConfig Code = "config"
	// ErrOAuth: the authorization server refused (RFC 6749 §5.2).
	ErrOAuth Code = "oauth"
	// ErrHTTP: a non-OAuth HTTP failure.
	ErrHTTP Code = "http"
	// ErrTransport: could not talk to the server (see Error.Kind).
	ErrTransport Code = "transport"
	// ErrInvalidResponse: a 200 that is not a usable token response.
	ErrInvalidResponse Code = "invalid_response"
	// ErrThrottled: refused locally until Error.RetryAfter passes.
	ErrThrottled Code = "throttled"
	// ErrCache: a shared cache is unreachable or corrupt (cache_strict).
	ErrCache Code = "cache"
	// ErrInvalidToken: (verifier) a token failed validation.
	ErrInvalidToken Code = "invalid_token"
	// ErrInsufficientScope: (verifier) a valid token lacks a scope.
	ErrInsufficientScope Code = "insufficient_scope"
)

// Error is every failure of the engine, with the fields of the C ABI's
// m2m_error (docs/design.md §6; empty or zero when they do not apply).
// Use errors.As to read it and errors.Is with a Code to test its kind.
// No field or message holds a secret.
type Error struct {
	// Code is the error's code (the field "code").
	Code Code
	// Message is a one-line description for people.
	Message string
	// OAuthError is the server's "error" code (e.g. "invalid_client"),
	// for ErrOAuth: the field "error" (Go keeps Error for the method).
	OAuthError string
	// ErrorDescription is the server's "error_description" (ErrOAuth).
	ErrorDescription string
	// ErrorURI is the server's "error_uri" (ErrOAuth).
	ErrorURI string
	// Status is the HTTP status (ErrOAuth, ErrHTTP).
	Status int
	// Body is the first bytes (at most 512) of the response (ErrHTTP).
	Body string
	// Kind is "connect", "timeout", "reset", "tls" or "io" (ErrTransport).
	Kind string
	// Reason says what is wrong with the response (ErrInvalidResponse),
	// or the reason code of a refused token (ErrInvalidToken).
	Reason string
	// RequiredScope is every scope required, space-separated
	// (ErrInsufficientScope).
	RequiredScope string
	// RetryAfter is how long until a request may be sent again
	// (ErrThrottled).
	RetryAfter time.Duration
}

// Error returns the message.
func (e *Error) Error() string { return "m2m-auth: " + e.Message }

// Is reports whether target is e's Code (errors.Is(err, m2mauth.ErrOAuth)).
func (e *Error) Is(target error) bool {
	c, ok := target.(Code)
	return ok && c == e.Code
}

// resultName is the stable name of a result code.
func resultName(rc C.m2m_result) string { return goString(C.m2m_result_name(C.uint32_t(rc))) }

// newError converts a failed call's result and detail (freed here).
func newError(rc C.m2m_result, e *C.m2m_error) error {
	defer C.m2m_error_free(e)
	err := &Error{Code: Code(resultName(rc))}
	if e == nil {
		err.Message = string(err.Code)
		return err
	}
	if code := C.m2m_error_code(e); code != C.M2M_OK {
		err.Code = Code(resultName(code))
	}
	err.Message = goString(C.m2m_error_message(e))
	err.OAuthError = goString(C.m2m_error_error(e))
	err.ErrorDescription = goString(C.m2m_error_error_description(e))
	err.ErrorURI = goString(C.m2m_error_error_uri(e))
	err.Status = int(C.m2m_error_status(e))
	err.Body = goString(C.m2m_error_body(e))
	err.Kind = goString(C.m2m_error_kind(e))
	err.Reason = goString(C.m2m_error_reason(e))
	err.RequiredScope = goString(C.m2m_error_required_scope(e))
	err.RetryAfter = time.Duration(C.m2m_error_retry_after(e)) * time.Millisecond
	return err
}

// configError is a config error made in Go (a closed client).
func configError(msg string) error {
	return &Error{Code: ErrConfig, Message: "config: " + msg}
}

// check converts a result without detail (M2M_OK: nil).
func check(rc C.m2m_result, what string) error {
	if rc == C.M2M_OK {
		return nil
	}
	return &Error{Code: Code(resultName(rc)), Message: what + ": " + resultName(rc)}
}
