package dev.m2mauth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonParser;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** 1,000 threads ask one client for a token on a cold cache: the dev server sees exactly one token request. */
class HerdTest {
  private static final int THREADS = 1000;

  @Test
  void thousandThreadsOneRequest() throws Exception {
    try (DevServer server = Servers.start(); M2mClient client = M2mClient.create(Servers.options(server).build())) {
      // The token endpoint answers slowly, so every thread arrives while the one request is in flight.
      server.faults(null, JsonParser.parseString("[{\"delay_ms\": 500}]"), false);
      CountDownLatch ready = new CountDownLatch(THREADS);
      CountDownLatch go = new CountDownLatch(1);
      AtomicInteger ok = new AtomicInteger();
      ConcurrentHashMap<String, Boolean> tokens = new ConcurrentHashMap<>();
      ConcurrentHashMap<String, Boolean> failures = new ConcurrentHashMap<>();
      Thread[] threads = new Thread[THREADS];
      for (int i = 0; i < THREADS; i++) {
        threads[i] = Thread.ofPlatform().start(() -> {
          ready.countDown();
          try {
            go.await();
            try (Token t = client.token()) {
              tokens.put(t.fingerprint(), true);
              ok.incrementAndGet();
            }
          } catch (Exception e) {
            failures.put(e.toString(), true);
          }
        });
      }
      ready.await();
      long t0 = System.nanoTime();
      go.countDown();
      for (Thread t : threads) t.join(60_000);
      double ms = (System.nanoTime() - t0) / 1e6;
      long requests = server.tokenRequests();
      Stats stats = client.stats();
      System.out.printf("herd: %d threads, %d tokens, %d distinct, %d token request(s), %.0f ms (hits %d, misses %d, fetches %d)%n",
          THREADS, ok.get(), tokens.size(), requests, ms, stats.hits(), stats.misses(), stats.fetches());
      assertEquals(java.util.Map.of(), failures);
      assertEquals(THREADS, ok.get());
      assertEquals(1, tokens.size());
      assertEquals(1, requests);
      assertEquals(1, stats.fetches());
    }
  }

  /** A figure, not a bound: what a cached {@code token()} costs from Java (printed). */
  @Test
  void cachedTokenCost() throws Exception {
    try (DevServer server = Servers.start(); M2mClient client = M2mClient.create(Servers.options(server).build())) {
      for (int i = 0; i < 50_000; i++) client.token().close();
      int n = 50_000;
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) client.token().close();
      double ns = (System.nanoTime() - t0) / (double) n;
      System.out.printf("cached token(): %.0f ns per call (%d calls, 1 token request)%n", ns, n);
      assertEquals(1, server.tokenRequests());
    }
  }
}
