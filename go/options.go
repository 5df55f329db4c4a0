package m2mauth

/*
#include <stdlib.h>
#include <m2m_auth.h>
*/
import "C"

import (
	"sort"
	"time"
)

// Options configure a Client (docs/design.md §1). The fields are the
// common options, each the option of the same name in tests/surface.json
// (TokenURL is token_url, ...); an empty or zero field is left unset. Set
// reaches every option of the surface by its name, the others included.
type Options struct {
	// FromEnv first reads every M2M_AUTH_<NAME> environment variable
	// (as m2m_client_options_from_env); the other fields then override.
	FromEnv bool
	// Set gives any option by its surface name (e.g. "max_attempts",
	// "leeway", "refresh_ratio", "cache"), as text written as in its
	// environment variable: durations in seconds ("0.5"), flags
	// "true"/"false", lists separated by spaces or commas, maps as
	// name=value pairs separated by & or commas. Applied after FromEnv
	// and before the typed fields below.
	Set map[string]string

	// TokenURL is the token endpoint URL (exactly one of TokenURL, Domain
	// and Issuer).
	TokenURL string
	// Domain is an Auth0-style domain: the token endpoint is
	// https://{domain}/oauth/token.
	Domain string
	// Issuer is an issuer whose metadata names the token endpoint.
	Issuer string
	// ClientID is the client id (required).
	ClientID string
	// ClientSecret is the client secret (never printed).
	ClientSecret string
	// AuthMethod is client_secret_post (the default), client_secret_basic,
	// client_secret_jwt, private_key_jwt, tls_client_auth or
	// self_signed_tls_client_auth.
	AuthMethod string
	// PrivateKey is the private_key_jwt key, PEM or a private JWK.
	PrivateKey string
	// PrivateKeyFile is a file holding it, re-read when it changes.
	PrivateKeyFile string
	// KeyID is the kid of signed client assertions.
	KeyID string
	// SigningAlg is the alg of signed client assertions (RS256, ES256, ...).
	SigningAlg string
	// ClientCertificateFile and ClientKeyFile are the mutual TLS
	// certificate chain and its key (PEM files).
	ClientCertificateFile, ClientKeyFile string
	// DPoP binds tokens to a key the client holds (RFC 9449).
	DPoP bool
	// DPoPKey is the DPoP key (PEM or a private JWK; generated if empty).
	DPoPKey string

	// Audience is the default audience (the API's identifier).
	Audience string
	// Scope holds the default scopes (each entry may hold several,
	// space-separated).
	Scope []string
	// Organization is the default Auth0 organization.
	Organization string
	// Resource holds default RFC 8707 resource indicators.
	Resource []string
	// Extra holds default extra form parameters.
	Extra map[string]string

	// Timeout is the deadline of one token request, retries included
	// [30 s].
	Timeout time.Duration
	// ConnectTimeout is the deadline of one connection attempt [10 s].
	ConnectTimeout time.Duration
	// CACerts is PEM certificates trusted besides the OS trust store.
	CACerts string
	// NoProxy uses no proxy, whatever the environment says.
	NoProxy bool
	// Cache is "memory" (the default) or a shared store ("file:/dir",
	// "redis://host:port/db", ...).
	Cache string
}

// optionsBuilder fills one m2m_client_options, keeping the first failure.
type optionsBuilder struct {
	o   *C.m2m_client_options
	err error
}

func (b *optionsBuilder) text(name, value string, secret bool, set func(*C.m2m_client_options, *C.char) C.m2m_result) {
	if b.err != nil || value == "" {
		return
	}
	if b.err = noNUL("option "+name, value); b.err != nil {
		return
	}
	v := cString(value)
	defer freeCString(v, secret)
	b.err = check(set(b.o, v), "option "+name)
}

func (b *optionsBuilder) byName(name, text string) {
	if b.err != nil {
		return
	}
	if b.err = noNUL("option "+name, name+text); b.err != nil {
		return
	}
	n, t := cString(name), cString(text)
	defer freeCString(n, false)
	defer freeCString(t, true)
	if rc := C.m2m_client_options_set(b.o, n, t); rc != C.M2M_OK {
		// The text is not shown: it may be a secret (or a proxy URL with one).
		b.err = &Error{Code: Code(resultName(rc)), Message: "config: option " + name + " does not take that text (or no option has that name)"}
	}
}

func (b *optionsBuilder) millis(name string, d time.Duration, set func(*C.m2m_client_options, C.uint64_t) C.m2m_result) {
	if b.err != nil || d == 0 {
		return
	}
	if d < 0 {
		b.err = configError(name + " must not be negative")
		return
	}
	b.err = check(set(b.o, C.uint64_t(d/time.Millisecond)), "option "+name)
}

func (b *optionsBuilder) flag(name string, on bool, set func(*C.m2m_client_options, C.bool) C.m2m_result) {
	if b.err != nil || !on {
		return
	}
	b.err = check(set(b.o, C.bool(true)), "option "+name)
}

// build makes the C options (free them with m2m_client_options_free).
func (opts *Options) build() (*C.m2m_client_options, error) {
	b := &optionsBuilder{}
	if rc := C.m2m_client_options_new(&b.o); rc != C.M2M_OK {
		return nil, check(rc, "m2m_client_options_new")
	}
	if opts.FromEnv {
		b.err = check(C.m2m_client_options_from_env(b.o), "options from the environment")
	}
	names := make([]string, 0, len(opts.Set))
	for name := range opts.Set {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		b.byName(name, opts.Set[name])
	}
	b.text("token_url", opts.TokenURL, false, setTokenURL)
	b.text("domain", opts.Domain, false, setDomain)
	b.text("issuer", opts.Issuer, false, setIssuer)
	b.text("client_id", opts.ClientID, false, setClientID)
	b.text("client_secret", opts.ClientSecret, true, setClientSecret)
	b.text("auth_method", opts.AuthMethod, false, setAuthMethod)
	b.text("private_key", opts.PrivateKey, true, setPrivateKey)
	b.text("private_key_file", opts.PrivateKeyFile, false, setPrivateKeyFile)
	b.text("key_id", opts.KeyID, false, setKeyID)
	b.text("signing_alg", opts.SigningAlg, false, setSigningAlg)
	b.text("client_certificate_file", opts.ClientCertificateFile, false, setClientCertificateFile)
	b.text("client_key_file", opts.ClientKeyFile, false, setClientKeyFile)
	b.flag("dpop", opts.DPoP, setDPoP)
	b.text("dpop_key", opts.DPoPKey, true, setDPoPKey)
	b.text("audience", opts.Audience, false, setAudience)
	for _, s := range opts.Scope {
		b.text("scope", s, false, addScope)
	}
	b.text("organization", opts.Organization, false, setOrganization)
	for _, r := range opts.Resource {
		b.text("resource", r, false, addResource)
	}
	extraNames := make([]string, 0, len(opts.Extra))
	for name := range opts.Extra {
		extraNames = append(extraNames, name)
	}
	sort.Strings(extraNames)
	for _, name := range extraNames {
		if b.err != nil {
			break
		}
		if b.err = noNUL("option extra", name+opts.Extra[name]); b.err != nil {
			break
		}
		n, v := cString(name), cString(opts.Extra[name])
		b.err = check(C.m2m_client_options_add_extra(b.o, n, v), "option extra")
		freeCString(n, false)
		freeCString(v, false)
	}
	b.millis("timeout", opts.Timeout, setTimeout)
	b.millis("connect_timeout", opts.ConnectTimeout, setConnectTimeout)
	b.text("ca_certs", opts.CACerts, false, setCACerts)
	b.flag("no_proxy", opts.NoProxy, setNoProxy)
	b.text("cache", opts.Cache, false, setCache)
	if b.err != nil {
		C.m2m_client_options_free(b.o)
		return nil, b.err
	}
	return b.o, nil
}

// The typed setters (Go cannot take the address of a C function).
func setTokenURL(o *C.m2m_client_options, v *C.char) C.m2m_result {
	return C.m2m_client_options_set_token_url(o, v)
}
func setDomain(o *C.m2m_client_options, v *C.char) C.m2m_result {
	return C.m2m_client_options_set_domain(o, v)
}
func setIssuer(o *C.m2m_client_options, v *C.char) C.m2m_result {
	return C.m2m_client_options_set_issuer(o, v)
}
func setClientID(o *C.m2m_client_options, v *C.char) C.m2m_result {
	return C.m2m_client_options_set_client_id(o, v)
}
func setClientSecret(o *C.m2m_client_options, v *C.char) C.m2m_result {
	return C.m2m_client_options_set_client_secret(o, v)
}
func setAuthMethod(o *C.m2m_client_options, v *C.char) C.m2m_result {
	return C.m2m_client_options_set_auth_method(o, v)
}
func setPrivateKey(o *C.m2m_client_options, v *C.char) C.m2m_result {
	return C.m2m_client_options_set_private_key(o, v)
}
func setPrivateKeyFile(o *C.m2m_client_options, v *C.char) C.m2m_result {
	return C.m2m_client_options_set_private_key_file(o, v)
}
func setKeyID(o *C.m2m_client_options, v *C.char) C.m2m_result {
	return C.m2m_client_options_set_key_id(o, v)
}
func setSigningAlg(o *C.m2m_client_options, v *C.char) C.m2m_result {
	return C.m2m_client_options_set_signing_alg(o, v)
}
func setClientCertificateFile(o *C.m2m_client_options, v *C.char) C.m2m_result {
	return C.m2m_client_options_set_client_certificate_file(o, v)
}
func setClientKeyFile(o *C.m2m_client_options, v *C.char) C.m2m_result {
	return C.m2m_client_options_set_client_key_file(o, v)
}
func setDPoP(o *C.m2m_client_options, v C.bool) C.m2m_result {
	return C.m2m_client_options_set_dpop(o, v)
}
func setDPoPKey(o *C.m2m_client_options, v *C.char) C.m2m_result {
	return C.m2m_client_options_set_dpop_key(o, v)
}
func setAudience(o *C.m2m_client_options, v *C.char) C.m2m_result {
	return C.m2m_client_options_set_audience(o, v)
}
func addScope(o *C.m2m_client_options, v *C.char) C.m2m_result {
	return C.m2m_client_options_add_scope(o, v)
}
func setOrganization(o *C.m2m_client_options, v *C.char) C.m2m_result {
	return C.m2m_client_options_set_organization(o, v)
}
func addResource(o *C.m2m_client_options, v *C.char) C.m2m_result {
	return C.m2m_client_options_add_resource(o, v)
}
func setTimeout(o *C.m2m_client_options, v C.uint64_t) C.m2m_result {
	return C.m2m_client_options_set_timeout(o, v)
}
func setConnectTimeout(o *C.m2m_client_options, v C.uint64_t) C.m2m_result {
	return C.m2m_client_options_set_connect_timeout(o, v)
}
func setCACerts(o *C.m2m_client_options, v *C.char) C.m2m_result {
	return C.m2m_client_options_set_ca_certs(o, v)
}
func setNoProxy(o *C.m2m_client_options, v C.bool) C.m2m_result {
	return C.m2m_client_options_set_no_proxy(o, v)
}
func setCache(o *C.m2m_client_options, v *C.char) C.m2m_result {
	return C.m2m_client_options_set_cache(o, v)
}
