package dev.m2mauth;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The shared conformance vectors (tests/conformance/*.json, format in
 * FORMAT.md), one dynamic test each, through the Java API; each vector gets a
 * fresh dev server on a port no earlier vector of the run used (a new port is
 * a new cache key). A vector is skipped only when it says why under {@code
 * "skip": {"java": "..."}}. {@code M2M_AUTH_VECTORS=a,b} runs only the vectors
 * whose name contains one of those strings. Prints {@code conformance: N
 * passed, N failed, N skipped}.
 */
class ConformanceTest {
  private static final AtomicInteger PASSED = new AtomicInteger();
  private static final AtomicInteger FAILED = new AtomicInteger();
  private static final AtomicInteger SKIPPED = new AtomicInteger();
  private static final int BASE = 20000 + new Random().nextInt(30000);
  private static final AtomicInteger INDEX = new AtomicInteger();

  @TestFactory
  Stream<DynamicTest> vectors() throws IOException {
    Path dir = DevServer.root().resolve("tests/conformance");
    String only = System.getenv("M2M_AUTH_VECTORS");
    List<Path> files;
    try (Stream<Path> list = Files.list(dir)) {
      files = list.filter(p -> p.toString().endsWith(".json"))
          .filter(p -> only == null || only.isBlank()
              || Stream.of(only.split(",")).anyMatch(s -> p.getFileName().toString().contains(s.strip())))
          .sorted().toList();
    }
    if (only == null || only.isBlank()) {
      if (files.size() < 40) throw new IllegalStateException("only " + files.size() + " vectors in " + dir);
    }
    return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> runOne(f)));
  }

  private static void runOne(Path file) throws Exception {
    int port = BASE + INDEX.getAndIncrement() * 20;
    long t0 = System.nanoTime();
    String name = file.getFileName().toString();
    JsonObject root;
    try {
      root = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
      String stem = name.substring(0, name.length() - 5);
      for (String k : root.keySet()) {
        if (!List.of("name", "design", "description", "server", "client", "steps", "skip").contains(k)) {
          throw new AssertionError("unknown field " + k);
        }
      }
      if (!root.has("name") || !root.get("name").getAsString().equals(stem) || !root.has("design")
          || !root.has("description")) {
        throw new AssertionError("malformed vector: name must equal the file name; design and description strings");
      }
    } catch (AssertionError | RuntimeException e) {
      FAILED.incrementAndGet();
      System.out.println("not ok - " + name + ": " + e.getMessage());
      throw e;
    }
    if (root.has("skip") && root.getAsJsonObject("skip").has("java")) {
      String why = root.getAsJsonObject("skip").get("java").getAsString();
      SKIPPED.incrementAndGet();
      System.out.println("ok - " + name + " # SKIP " + why);
      Assumptions.abort(why);
    }
    try (Vector v = new Vector(root)) {
      v.run(port);
    } catch (AssertionError | Exception e) {
      FAILED.incrementAndGet();
      System.out.println("not ok - " + name + ": " + e.getMessage());
      throw e;
    }
    PASSED.incrementAndGet();
    System.out.printf("ok - %s (%.0f ms)%n", name, (System.nanoTime() - t0) / 1e6);
  }

  @AfterAll
  static void summary() {
    System.out.printf("conformance: %d passed, %d failed, %d skipped%n", PASSED.get(), FAILED.get(), SKIPPED.get());
  }
}
