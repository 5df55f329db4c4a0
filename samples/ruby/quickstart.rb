# Call your API using the Client Credentials Flow, in Ruby over m2m-auth's C ABI
# (the ffi gem): request a token for your API's audience, then call the API
# with "Authorization: Bearer <token>". Asking again is answered from the cache.
# Run: M2M_AUTH_LIB=/path/to/libm2m_auth.so AUTH0_DOMAIN=... ruby quickstart.rb
require "ffi"
require "net/http"

# A small m2m-auth binding: options by name, a client, tokens and stats.
module M2mAuth
  extend FFI::Library
  ffi_lib ENV.fetch("M2M_AUTH_LIB", "libm2m_auth.so.0.1")

  attach_function :m2m_client_options_new, [:pointer], :uint32
  attach_function :m2m_client_options_set, %i[pointer string string], :uint32
  attach_function :m2m_client_options_free, [:pointer], :void
  attach_function :m2m_client_new, %i[pointer pointer pointer], :uint32
  attach_function :m2m_client_free, [:pointer], :void
  attach_function :m2m_client_get_token, %i[pointer pointer pointer pointer], :uint32
  attach_function :m2m_token_token_type, %i[pointer pointer], :uint32
  attach_function :m2m_token_authorization_header, %i[pointer pointer], :uint32
  attach_function :m2m_token_expires_in, %i[pointer pointer], :uint32
  attach_function :m2m_token_free, [:pointer], :void
  attach_function :m2m_client_stats, %i[pointer pointer], :uint32
  attach_function :m2m_stats_fetches, [:pointer], :uint64
  attach_function :m2m_stats_hits, [:pointer], :uint64
  attach_function :m2m_stats_free, [:pointer], :void
  attach_function :m2m_result_name, [:uint32], :string
  %i[message error error_description kind reason].each do |field|
    attach_function :"m2m_error_#{field}", [:pointer], :string
  end
  attach_function :m2m_error_status, [:pointer], :uint16
  attach_function :m2m_error_free, [:pointer], :void

  # A failed call, with the C error's fields (never a secret).
  class Error < StandardError
    attr_reader :code, :error, :error_description, :status, :kind, :reason

    def initialize(rc, err = FFI::Pointer::NULL)
      @code = M2mAuth.m2m_result_name(rc)
      super(err.null? ? @code : M2mAuth.m2m_error_message(err))
      @error = M2mAuth.m2m_error_error(err)
      @error_description = M2mAuth.m2m_error_error_description(err)
      @status = M2mAuth.m2m_error_status(err)
      @kind = M2mAuth.m2m_error_kind(err)
      @reason = M2mAuth.m2m_error_reason(err)
    end
  end

  # Raises M2mAuth::Error unless rc is M2M_OK; frees the error either way.
  def self.check(rc, err_out = nil)
    err = err_out ? err_out.read_pointer : FFI::Pointer::NULL
    raise Error.new(rc, err) unless rc.zero?
  ensure
    m2m_error_free(err) if err
  end

  # Calls a C getter that writes one pointer or value into its out argument.
  def self.out(type)
    out = FFI::MemoryPointer.new(type)
    check(yield(out))
    type == :pointer ? out.read_pointer : out.read(type)
  end

  # A token handle; inspect and to_s never show the token.
  class Token
    def initialize(ptr) = @ptr = FFI::AutoPointer.new(ptr, M2mAuth.method(:m2m_token_free))
    def token_type = M2mAuth.out(:pointer) { |o| M2mAuth.m2m_token_token_type(@ptr, o) }.read_string
    # "Bearer eyJ...": the Authorization header's value. Send it; never print it.
    def authorization_header = M2mAuth.out(:pointer) { |o| M2mAuth.m2m_token_authorization_header(@ptr, o) }.read_string
    def expires_in = M2mAuth.out(:uint64) { |o| M2mAuth.m2m_token_expires_in(@ptr, o) } / 1000.0
    def to_s = "#{token_type} token"
    alias inspect to_s
  end

  # An m2m-auth client: one per application, shared; fetches, caches and renews tokens.
  class Client
    # Options by name, as in m2m_client_options_set: domain:, client_id:, ...
    def initialize(**options)
      opts = FFI::AutoPointer.new(M2mAuth.out(:pointer) { |o| M2mAuth.m2m_client_options_new(o) },
                                  M2mAuth.method(:m2m_client_options_free))
      options.each { |name, value| M2mAuth.check(M2mAuth.m2m_client_options_set(opts, name.to_s, value)) }
      client, err = FFI::MemoryPointer.new(:pointer), FFI::MemoryPointer.new(:pointer)
      M2mAuth.check(M2mAuth.m2m_client_new(opts, client, err), err)
      @ptr = FFI::AutoPointer.new(client.read_pointer, M2mAuth.method(:m2m_client_free))
    end

    # A usable token: from the cache when fresh (no I/O), else from the token endpoint.
    def token
      token, err = FFI::MemoryPointer.new(:pointer), FFI::MemoryPointer.new(:pointer)
      M2mAuth.check(M2mAuth.m2m_client_get_token(@ptr, nil, token, err), err)
      Token.new(token.read_pointer)
    end

    # { token_requests:, cache_hits: } from the client's counters.
    def stats
      stats = FFI::AutoPointer.new(M2mAuth.out(:pointer) { |o| M2mAuth.m2m_client_stats(@ptr, o) },
                                   M2mAuth.method(:m2m_stats_free))
      { token_requests: M2mAuth.m2m_stats_fetches(stats), cache_hits: M2mAuth.m2m_stats_hits(stats) }
    end

    def inspect = "#<M2mAuth::Client>"
  end
end

def env(name)
  ENV[name].to_s.empty? ? abort("set #{name}") : ENV[name]
end

begin
  # Your Auth0 application's domain (or AUTH0_TOKEN_URL), client id and secret,
  # and your API's identifier (its audience). Keep the secret out of the code.
  where = ENV["AUTH0_TOKEN_URL"] ? { token_url: ENV["AUTH0_TOKEN_URL"] } : { domain: env("AUTH0_DOMAIN") }
  client = M2mAuth::Client.new(**where, client_id: env("AUTH0_CLIENT_ID"),
                                        client_secret: env("AUTH0_CLIENT_SECRET"), audience: env("API_AUDIENCE"))

  # 1. Request a token (cached and refreshed for you from then on).
  token = client.token
  puts format("%s, expires in %.0f s", token, token.expires_in)

  # 2. Call your API with it: "Authorization: Bearer <token>".
  uri = URI(env("API_URL"))
  response = Net::HTTP.get_response(uri, { "Authorization" => token.authorization_header })
  puts "API answered #{response.code}: #{response.body}"
  exit 1 unless response.is_a?(Net::HTTPSuccess)

  # Ask again before the next call: the cache answers, no request is sent.
  client.token
  stats = client.stats
  puts "second token: token requests #{stats[:token_requests]}, cache hits #{stats[:cache_hits]}"
rescue M2mAuth::Error => e
  warn "m2m-auth error: #{e.message}"
  warn "  code=#{e.code} error=#{e.error} status=#{e.status} description=#{e.error_description} " \
       "kind=#{e.kind} reason=#{e.reason}"
  exit 1
end
