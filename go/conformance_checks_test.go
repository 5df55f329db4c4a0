package m2mauth_test

// The conformance runner: the checks of a call's outcome against its
// `expect` (tokens, API answers, errors and their fields, timing), and the
// canary (no error shows the client secret or a part of the DPoP key).

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"time"

	m2mauth "github.com/m2m-auth/m2m-auth/go"
)

var (
	successKeys = []string{"ok", "token_type", "expires_in_between", "scope", "extra", "same_token_as",
		"different_token_from", "status", "elapsed_ms_at_least", "elapsed_ms_at_most", "authorization_scheme"}
	errorKeys = []string{"error", "fields", "body_max_len", "retry_after_between_s",
		"elapsed_ms_at_least", "elapsed_ms_at_most"}
)

func (v *vector) check(e obj, c *outcome) {
	v.checkNoSecret(c.err)
	if e == nil {
		return
	}
	if ok, _ := e["ok"].(bool); ok {
		v.checkSuccess(e, c)
	} else if _, ok := e["error"].(string); ok {
		v.checkError(e, c)
	} else {
		v.fail(`an expectation needs "ok": true or "error"`)
	}
}

// errorTexts are every text an error shows: its fields, Error() and %+v.
func errorTexts(err error) []string {
	texts := []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)}
	var e *m2mauth.Error
	if errors.As(err, &e) {
		texts = append(texts, e.Message, e.OAuthError, e.ErrorDescription, e.ErrorURI, e.Body, e.Kind,
			e.Reason, e.RequiredScope)
	}
	return texts
}

func (v *vector) checkNoSecret(err error) {
	if err == nil {
		return
	}
	for _, text := range errorTexts(err) {
		for _, part := range v.keyPart {
			if strings.Contains(text, part) {
				v.fail("a part of the DPoP key appears in an error")
			}
		}
		if v.secret != "" && (strings.Contains(text, v.secret) || strings.Contains(text, url.QueryEscape(v.secret))) {
			v.fail("the client secret appears in an error")
		}
	}
}

func (v *vector) checkElapsed(e obj, c *outcome) {
	ms := float64(c.elapsed) / float64(time.Millisecond)
	if lo, ok := e["elapsed_ms_at_least"].(float64); ok && ms < lo {
		v.fail("took %.0f ms, expected at least %.0f", ms, lo)
	}
	if hi, ok := e["elapsed_ms_at_most"].(float64); ok && ms > hi {
		v.fail("took %.0f ms, expected at most %.0f", ms, hi)
	}
}

// normalized is x through a JSON round trip (for comparing values).
func normalized(x any) any {
	b, _ := json.Marshal(x)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func (v *vector) checkSuccess(e obj, c *outcome) {
	if c.err != nil {
		v.fail("%s failed: %v", c.call, c.err)
		return
	}
	if k := unknownKey(e, successKeys); k != "" {
		v.fail("unsupported expectation %q", k)
		return
	}
	if st, ok := e["status"].(float64); ok && (c.resp == nil || float64(c.resp.Status) != st) {
		got := 0
		if c.resp != nil {
			got = c.resp.Status
		}
		v.fail("API status %d, expected %v", got, st)
	}
	v.checkElapsed(e, c)
	t := c.token
	if t == nil {
		for _, k := range []string{"token_type", "scope", "same_token_as", "authorization_scheme"} {
			if _, ok := e[k]; ok {
				v.fail("%s returns no token to check", c.call)
			}
		}
		return
	}
	if tt, ok := e["token_type"].(string); ok && t.TokenType != tt {
		v.fail("token_type %q, expected %q", t.TokenType, tt)
	}
	if s, ok := e["authorization_scheme"].(string); ok {
		if scheme, _, _ := strings.Cut(t.AuthorizationHeader, " "); scheme != s {
			v.fail("authorization scheme %q, expected %q", scheme, s)
		}
	}
	if r, ok := e["expires_in_between"].([]any); ok {
		s := float64(t.ExpiresIn / time.Second)
		if len(r) != 2 || s < r[0].(float64) || s > r[1].(float64) {
			v.fail("expires_in %v s, expected within %v", s, r)
		}
	}
	if want, ok := e["scope"]; ok {
		if w, _ := want.(string); t.Scope != w {
			v.fail("scope %q, expected %v", t.Scope, want)
		}
	}
	if extra, ok := e["extra"].(obj); ok {
		for k, want := range extra {
			have, ok := t.Extra[k]
			if !ok || !reflect.DeepEqual(normalized(have), normalized(want)) {
				v.fail("extra field %q missing or different", k)
			}
		}
	}
	if l, ok := e["same_token_as"].(string); ok {
		if tok, ok := v.labels[l]; !ok {
			v.fail("no label %q", l)
		} else if tok != t.AccessToken {
			v.fail("a different token than %q", l)
		}
	}
	if l, ok := e["different_token_from"].(string); ok {
		if tok, ok := v.labels[l]; !ok {
			v.fail("no label %q", l)
		} else if tok == t.AccessToken {
			v.fail("the same token as %q", l)
		}
	}
}

func (v *vector) checkError(e obj, c *outcome) {
	code := e["error"].(string)
	if c.err == nil {
		v.fail("%s succeeded, expected a %s error", c.call, code)
		return
	}
	var err *m2mauth.Error
	if !errors.As(c.err, &err) {
		v.fail("%s returned %T, not *m2mauth.Error", c.call, c.err)
		return
	}
	if string(err.Code) != code || !errors.Is(c.err, m2mauth.Code(code)) {
		v.fail("%s error (%s), expected %s", err.Code, err.Message, code)
		return
	}
	if err.Message == "" {
		v.fail("empty error message")
	}
	if k := unknownKey(e, errorKeys); k != "" {
		v.fail("unsupported expectation %q", k)
		return
	}
	if fields, ok := e["fields"].(obj); ok {
		for k, want := range fields {
			var got any
			switch k {
			case "status":
				got = float64(err.Status)
				if want == nil {
					want = float64(0)
				}
			case "error":
				got = err.OAuthError
			case "error_description":
				got = err.ErrorDescription
			case "error_uri":
				got = err.ErrorURI
			case "kind":
				got = err.Kind
			case "body":
				got = err.Body
			case "reason":
				got = err.Reason
			default:
				v.fail("unsupported error field %q", k)
				continue
			}
			if want == nil {
				want = ""
			}
			if got != want {
				v.fail("error %s %v, expected %v", k, got, want)
			}
		}
	}
	if n, ok := e["body_max_len"].(float64); ok && (err.Body == "" || float64(len(err.Body)) > n) {
		v.fail("http body excerpt of %d bytes, expected at most %v", len(err.Body), n)
	}
	if r, ok := e["retry_after_between_s"].([]any); ok {
		s := err.RetryAfter.Seconds()
		if len(r) != 2 || s < r[0].(float64)-0.001 || s > r[1].(float64)+0.001 {
			v.fail("retry_after %.3f s, expected within %v", s, r)
		}
	}
	v.checkElapsed(e, c)
}
