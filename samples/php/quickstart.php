<?php
// Call your API using the Client Credentials Flow, in PHP over m2m-auth's C ABI
// (PHP's built-in FFI): request a token for your API's audience, then call the
// API with "Authorization: Bearer <token>". Asking again is answered from the cache.
// Run: M2M_AUTH_LIB=/path/to/libm2m_auth.so AUTH0_DOMAIN=... php quickstart.php

/** A failed m2m-auth call, with the C error's fields (never a secret). */
final class M2mAuthException extends Exception
{
    public function __construct(string $message, public string $codeName, public ?string $error = null,
                                public ?string $errorDescription = null, public int $status = 0,
                                public ?string $kind = null, public ?string $reason = null)
    {
        parent::__construct($message);
    }
}

/** An m2m-auth client: one per application, shared; fetches, caches and renews tokens. */
final class M2mAuth
{
    private const DECLARATIONS = <<<'C'
        typedef struct m2m_client_options m2m_client_options;
        typedef struct m2m_client m2m_client;
        typedef struct m2m_token m2m_token;
        typedef struct m2m_stats m2m_stats;
        typedef struct m2m_error m2m_error;
        uint32_t m2m_client_options_new(m2m_client_options **options_out);
        uint32_t m2m_client_options_set(m2m_client_options *options, const char *name, const char *text);
        void m2m_client_options_free(m2m_client_options *options);
        uint32_t m2m_client_new(const m2m_client_options *options, m2m_client **client_out, m2m_error **err_out);
        void m2m_client_free(m2m_client *client);
        uint32_t m2m_client_get_token(const m2m_client *client, const void *request, m2m_token **token_out,
                                      m2m_error **err_out);
        uint32_t m2m_token_token_type(const m2m_token *token, const char **out);
        uint32_t m2m_token_authorization_header(const m2m_token *token, const char **out);
        uint32_t m2m_token_expires_in(const m2m_token *token, uint64_t *milliseconds_out);
        void m2m_token_free(m2m_token *token);
        uint32_t m2m_client_stats(const m2m_client *client, m2m_stats **stats_out);
        uint64_t m2m_stats_fetches(const m2m_stats *stats);
        uint64_t m2m_stats_hits(const m2m_stats *stats);
        void m2m_stats_free(m2m_stats *stats);
        const char *m2m_result_name(uint32_t result);
        const char *m2m_error_message(const m2m_error *err);
        const char *m2m_error_error(const m2m_error *err);
        const char *m2m_error_error_description(const m2m_error *err);
        const char *m2m_error_kind(const m2m_error *err);
        const char *m2m_error_reason(const m2m_error *err);
        uint16_t m2m_error_status(const m2m_error *err);
        void m2m_error_free(m2m_error *err);
        C;

    private FFI $ffi;
    private $client;

    /** Options by name, as in m2m_client_options_set: ['domain' => ..., 'client_id' => ...]. */
    public function __construct(array $options, string $library = 'libm2m_auth.so.0.1')
    {
        $this->ffi = FFI::cdef(self::DECLARATIONS, $library);
        $opts = $this->out('m2m_client_options *', fn ($o) => $this->ffi->m2m_client_options_new($o));
        try {
            foreach ($options as $name => $value) {
                $this->check($this->ffi->m2m_client_options_set($opts, $name, $value));
            }
            $err = $this->ffi->new('m2m_error *');
            $this->client = $this->out('m2m_client *', fn ($o) => $this->ffi->m2m_client_new($opts, $o, FFI::addr($err)), $err);
        } finally {
            $this->ffi->m2m_client_options_free($opts);
        }
    }

    public function __destruct()
    {
        $this->ffi->m2m_client_free($this->client); // not called when the constructor threw
    }

    /** A usable token: from the cache when fresh (no I/O), else from the token endpoint. */
    public function token(): array
    {
        $err = $this->ffi->new('m2m_error *');
        $token = $this->out('m2m_token *',
            fn ($o) => $this->ffi->m2m_client_get_token($this->client, null, $o, FFI::addr($err)), $err);
        try {
            $type = $this->out('const char *', fn ($o) => $this->ffi->m2m_token_token_type($token, $o));
            $header = $this->out('const char *', fn ($o) => $this->ffi->m2m_token_authorization_header($token, $o));
            $ms = $this->out('uint64_t', fn ($o) => $this->ffi->m2m_token_expires_in($token, $o));
            // The header ("Bearer eyJ...") is for the request only: never print it.
            return ['token_type' => FFI::string($type), 'expires_in' => $ms->cdata / 1000,
                    'authorization' => FFI::string($header)];
        } finally {
            $this->ffi->m2m_token_free($token);
        }
    }

    /** ['token_requests' => ..., 'cache_hits' => ...] from the client's counters. */
    public function stats(): array
    {
        $stats = $this->out('m2m_stats *', fn ($o) => $this->ffi->m2m_client_stats($this->client, $o));
        try {
            return ['token_requests' => $this->ffi->m2m_stats_fetches($stats),
                    'cache_hits' => $this->ffi->m2m_stats_hits($stats)];
        } finally {
            $this->ffi->m2m_stats_free($stats);
        }
    }

    /** A C function's out value: $call gets a pointer to a new $type (and $err, its error). */
    private function out(string $type, callable $call, $err = null)
    {
        $value = $this->ffi->new($type);
        $this->check($call(FFI::addr($value)), $err);
        return $value;
    }

    /** Throws M2mAuthException unless $rc is M2M_OK, and frees the C error. */
    private function check(int $rc, $err = null): void
    {
        if ($rc === 0) {
            return;
        }
        $f = $this->ffi; // FFI returns a const char * as a PHP string (null for NULL)
        if ($err === null || FFI::isNull($err)) {
            throw new M2mAuthException($f->m2m_result_name($rc), $f->m2m_result_name($rc));
        }
        $e = new M2mAuthException($f->m2m_error_message($err), $f->m2m_result_name($rc),
            $f->m2m_error_error($err), $f->m2m_error_error_description($err), $f->m2m_error_status($err),
            $f->m2m_error_kind($err), $f->m2m_error_reason($err));
        $f->m2m_error_free($err);
        throw $e;
    }
}

function env(string $name): string
{
    $value = getenv($name);
    if ($value === false || $value === '') {
        fwrite(STDERR, "set $name\n");
        exit(2);
    }
    return $value;
}

try {
    // Your Auth0 application's domain (or AUTH0_TOKEN_URL), client id and secret,
    // and your API's identifier (its audience). Keep the secret out of the code.
    $where = getenv('AUTH0_TOKEN_URL') ? ['token_url' => getenv('AUTH0_TOKEN_URL')] : ['domain' => env('AUTH0_DOMAIN')];
    $auth = new M2mAuth($where + ['client_id' => env('AUTH0_CLIENT_ID'), 'client_secret' => env('AUTH0_CLIENT_SECRET'),
                                  'audience' => env('API_AUDIENCE')], getenv('M2M_AUTH_LIB') ?: 'libm2m_auth.so.0.1');

    // 1. Request a token (cached and refreshed for you from then on).
    $token = $auth->token();
    printf("%s token, expires in %.0f s\n", $token['token_type'], $token['expires_in']);

    // 2. Call your API with it: "Authorization: Bearer <token>".
    $context = stream_context_create(['http' => ['header' => "Authorization: {$token['authorization']}\r\n",
                                                 'ignore_errors' => true]]);
    $body = file_get_contents(env('API_URL'), false, $context);
    $status = (int) explode(' ', $http_response_header[0] ?? 'HTTP/1.1 0')[1];
    echo "API answered $status: $body\n";
    if ($status !== 200) {
        exit(1);
    }

    // Ask again before the next call: the cache answers, no request is sent.
    $auth->token();
    $stats = $auth->stats();
    echo "second token: token requests {$stats['token_requests']}, cache hits {$stats['cache_hits']}\n";
} catch (M2mAuthException $e) {
    fwrite(STDERR, "m2m-auth error: {$e->getMessage()}\n");
    fwrite(STDERR, "  code={$e->codeName} error={$e->error} status={$e->status} description={$e->errorDescription} "
        . "kind={$e->kind} reason={$e->reason}\n");
    exit(1);
}
