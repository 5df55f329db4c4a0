// Call your API using the Client Credentials Flow, in C# over m2m-auth's C ABI
// (P/Invoke, Mono): request a token for your API's audience, then call the API
// with "Authorization: Bearer <token>". Asking again is answered from the cache.
// Build: mcs -out:quickstart.exe -r:System.Net.Http.dll Quickstart.cs
// Run:   M2M_AUTH_LIB=/path/to/libm2m_auth.so AUTH0_DOMAIN=... mono quickstart.exe
using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Runtime.InteropServices;

/// <summary>A failed m2m-auth call, with the C error's fields (never a secret).</summary>
public class M2mAuthException : Exception {
  public readonly string Code, Error, ErrorDescription, Kind, Reason;
  public readonly int Status;
  internal M2mAuthException(IntPtr err, uint rc) // err: NULL for calls without one
      : base(Native.Str(err == IntPtr.Zero ? Native.m2m_result_name(rc) : Native.m2m_error_message(err))) {
    Code = Native.Str(Native.m2m_result_name(rc));
    Error = Native.Str(Native.m2m_error_error(err));
    ErrorDescription = Native.Str(Native.m2m_error_error_description(err));
    Kind = Native.Str(Native.m2m_error_kind(err));
    Reason = Native.Str(Native.m2m_error_reason(err));
    Status = Native.m2m_error_status(err);
  }
}

/// <summary>An m2m-auth client: one per application, shared; fetches, caches and renews tokens.</summary>
public sealed class M2mAuth : IDisposable {
  readonly ClientHandle client;

  /// <summary>Options by name, as in m2m_client_options_set ("domain", "client_id", ...).</summary>
  public M2mAuth(IDictionary<string, string> settings) {
    Native.Check(Native.m2m_client_options_new(out OptionsHandle options));
    using (options) {
      foreach (KeyValuePair<string, string> s in settings)
        Native.Check(Native.m2m_client_options_set(options, s.Key, s.Value));
      Native.Check(Native.m2m_client_new(options, out client, out IntPtr err), err);
    }
  }

  /// <summary>A usable token: from the cache when fresh (no I/O), else from the token endpoint.</summary>
  public Token GetToken() {
    Native.Check(Native.m2m_client_get_token(client, IntPtr.Zero, out TokenHandle token, out IntPtr err), err);
    return new Token(token);
  }

  /// <summary>(token requests this client made, calls answered from the cache).</summary>
  public Tuple<ulong, ulong> Stats() {
    Native.Check(Native.m2m_client_stats(client, out StatsHandle stats));
    using (stats) return Tuple.Create(Native.m2m_stats_fetches(stats), Native.m2m_stats_hits(stats));
  }

  public void Dispose() { client.Dispose(); }
}

/// <summary>A token handle; ToString never shows the token.</summary>
public sealed class Token : IDisposable {
  readonly TokenHandle handle;
  internal Token(TokenHandle handle) { this.handle = handle; }
  public string TokenType { get { return Native.Str(Native.Get(Native.m2m_token_token_type, handle)); } }
  /// <summary>"Bearer eyJ...": the Authorization header's value. Send it; never print it.</summary>
  public string AuthorizationHeader { get { return Native.Str(Native.Get(Native.m2m_token_authorization_header, handle)); } }
  public TimeSpan ExpiresIn {
    get { Native.Check(Native.m2m_token_expires_in(handle, out ulong ms)); return TimeSpan.FromMilliseconds(ms); }
  }
  public override string ToString() { return TokenType + " token"; }
  public void Dispose() { handle.Dispose(); }
}

abstract class M2mHandle : SafeHandle {
  protected M2mHandle() : base(IntPtr.Zero, true) { }
  public override bool IsInvalid { get { return handle == IntPtr.Zero; } }
}
sealed class OptionsHandle : M2mHandle { protected override bool ReleaseHandle() { Native.m2m_client_options_free(handle); return true; } }
sealed class ClientHandle : M2mHandle { protected override bool ReleaseHandle() { Native.m2m_client_free(handle); return true; } }
sealed class TokenHandle : M2mHandle { protected override bool ReleaseHandle() { Native.m2m_token_free(handle); return true; } }
sealed class StatsHandle : M2mHandle { protected override bool ReleaseHandle() { Native.m2m_stats_free(handle); return true; } }

static class Native {
  // The library's soname; M2M_AUTH_LIB (a path) is loaded first, and then answers to it.
  const string Lib = "libm2m_auth.so.0.1";
  internal delegate uint Getter(TokenHandle token, out IntPtr value);
  [DllImport(Lib)] internal static extern uint m2m_client_options_new(out OptionsHandle options);
  [DllImport(Lib)] internal static extern uint m2m_client_options_set(OptionsHandle options, string name, string text);
  [DllImport(Lib)] internal static extern void m2m_client_options_free(IntPtr options);
  [DllImport(Lib)] internal static extern uint m2m_client_new(OptionsHandle options, out ClientHandle client, out IntPtr err);
  [DllImport(Lib)] internal static extern void m2m_client_free(IntPtr client);
  [DllImport(Lib)] internal static extern uint m2m_client_get_token(ClientHandle client, IntPtr request, out TokenHandle token, out IntPtr err);
  [DllImport(Lib)] internal static extern uint m2m_token_token_type(TokenHandle token, out IntPtr value);
  [DllImport(Lib)] internal static extern uint m2m_token_authorization_header(TokenHandle token, out IntPtr value);
  [DllImport(Lib)] internal static extern uint m2m_token_expires_in(TokenHandle token, out ulong ms);
  [DllImport(Lib)] internal static extern void m2m_token_free(IntPtr token);
  [DllImport(Lib)] internal static extern uint m2m_client_stats(ClientHandle client, out StatsHandle stats);
  [DllImport(Lib)] internal static extern ulong m2m_stats_fetches(StatsHandle stats);
  [DllImport(Lib)] internal static extern ulong m2m_stats_hits(StatsHandle stats);
  [DllImport(Lib)] internal static extern void m2m_stats_free(IntPtr stats);
  [DllImport(Lib)] internal static extern IntPtr m2m_result_name(uint rc);
  [DllImport(Lib)] internal static extern IntPtr m2m_error_message(IntPtr err);
  [DllImport(Lib)] internal static extern IntPtr m2m_error_error(IntPtr err);
  [DllImport(Lib)] internal static extern IntPtr m2m_error_error_description(IntPtr err);
  [DllImport(Lib)] internal static extern IntPtr m2m_error_kind(IntPtr err);
  [DllImport(Lib)] internal static extern IntPtr m2m_error_reason(IntPtr err);
  [DllImport(Lib)] internal static extern ushort m2m_error_status(IntPtr err);
  [DllImport(Lib)] internal static extern void m2m_error_free(IntPtr err);
  [DllImport("libdl.so.2")] static extern IntPtr dlopen(string path, int flags);
  [DllImport("libdl.so.2")] static extern IntPtr dlerror();

  internal static void Load(string path) {
    if (!string.IsNullOrEmpty(path) && dlopen(path, 2 | 0x100) == IntPtr.Zero) // RTLD_NOW | RTLD_GLOBAL
      throw new DllNotFoundException(Str(dlerror()));
  }
  internal static string Str(IntPtr p) { return p == IntPtr.Zero ? null : Marshal.PtrToStringAnsi(p); }
  internal static IntPtr Get(Getter getter, TokenHandle token) { Check(getter(token, out IntPtr v)); return v; }
  internal static void Check(uint rc) { if (rc != 0) throw new M2mAuthException(IntPtr.Zero, rc); }
  internal static void Check(uint rc, IntPtr err) {
    if (rc == 0) return;
    try { throw new M2mAuthException(err, rc); } finally { m2m_error_free(err); }
  }
}

static class Quickstart {
  static string Env(string name) {
    string value = Environment.GetEnvironmentVariable(name);
    if (string.IsNullOrEmpty(value)) { Console.Error.WriteLine("set " + name); Environment.Exit(2); }
    return value;
  }

  static int Main() {
    Native.Load(Environment.GetEnvironmentVariable("M2M_AUTH_LIB"));
    // Your Auth0 application's domain (or AUTH0_TOKEN_URL), client id and secret,
    // and your API's identifier (its audience). Keep the secret out of the code.
    string tokenUrl = Environment.GetEnvironmentVariable("AUTH0_TOKEN_URL");
    try {
      var settings = new Dictionary<string, string> {
        [tokenUrl != null ? "token_url" : "domain"] = tokenUrl ?? Env("AUTH0_DOMAIN"),
        ["client_id"] = Env("AUTH0_CLIENT_ID"), ["client_secret"] = Env("AUTH0_CLIENT_SECRET"),
        ["audience"] = Env("API_AUDIENCE"),
      };
      using (var auth = new M2mAuth(settings))
      using (var http = new HttpClient()) {
        // 1. Request a token (cached and refreshed for you from then on).
        using (Token token = auth.GetToken()) {
          Console.WriteLine("{0}, expires in {1:F0} s", token, token.ExpiresIn.TotalSeconds);
          // 2. Call your API with it: "Authorization: Bearer <token>".
          var request = new HttpRequestMessage(HttpMethod.Get, Env("API_URL"));
          request.Headers.TryAddWithoutValidation("Authorization", token.AuthorizationHeader);
          HttpResponseMessage response = http.SendAsync(request).Result;
          Console.WriteLine("API answered {0}: {1}", (int)response.StatusCode, response.Content.ReadAsStringAsync().Result);
          if (!response.IsSuccessStatusCode) return 1;
        }
        // Ask again before the next call: the cache answers, no request is sent.
        using (auth.GetToken()) {
          Tuple<ulong, ulong> stats = auth.Stats();
          Console.WriteLine("second token: token requests {0}, cache hits {1}", stats.Item1, stats.Item2);
        }
      }
      return 0;
    } catch (M2mAuthException e) {
      Console.Error.WriteLine("m2m-auth error: {0}", e.Message);
      Console.Error.WriteLine("  code={0} error={1} status={2} description={3} kind={4} reason={5}",
                              e.Code, e.Error, e.Status, e.ErrorDescription, e.Kind, e.Reason);
      return 1;
    }
  }
}
