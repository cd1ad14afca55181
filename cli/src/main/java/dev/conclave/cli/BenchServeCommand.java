package dev.conclave.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "bench-serve", mixinStandardHelpOptions = true,
        header = "Load a running OpenAI-compatible server with streamed chat requests.",
        description = {"Each of --concurrency clients (virtual threads) sends streamed chat completions back to back",
                "until --duration has passed, then the command prints requests/s, errors, time to first token and",
                "inter-token latency percentiles, and the server's heap from its /metrics at the start, the middle and",
                "the end: used, and used right after the server's latest garbage collection (what live objects take)."})
final class BenchServeCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--url", required = true, description = "Server base URL, e.g. http://127.0.0.1:8000.")
    String url;

    @Option(names = "--concurrency", defaultValue = "200", description = "Clients in flight (default ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--duration", defaultValue = "120s", description = "How long to send requests (default ${DEFAULT-VALUE}).")
    String duration;

    @Option(names = "--max-tokens", defaultValue = "32", description = "max_tokens per request (default ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--api-key", description = "Sent as 'Authorization: Bearer KEY' (default: $CONCLAVE_API_KEY, if set).")
    String apiKey;

    @Option(names = "--model", description = "The model name to request (default: the first one /v1/models lists).")
    String model;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** One client's tally; merged after all clients stopped, so none of it is shared while running. */
    private static final class Tally {
        long requests;
        long errors;
        String lastError;
        final List<Long> firstToken = new ArrayList<>();
        final List<Long> interToken = new ArrayList<>();
    }

    @Override
    public Integer call() throws Exception {
        Duration length = Durations.parse(duration, "--duration");
        String key = ApiKeys.resolve(apiKey);
        String base = url.replaceAll("/+$", "");
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        String name = model != null ? model : JSON.readTree(get(http, base + "/v1/models", key)).get("data").get(0).get("id").asText();
        HeapSample heapStart = HeapSample.of(http, base);
        long deadline = System.nanoTime() + length.toNanos();
        long start = System.nanoTime();
        List<Future<Tally>> clients = new ArrayList<>();
        Future<HeapSample> heapMiddle;
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < concurrency; c++) {
                int client = c;
                clients.add(pool.submit(() -> runClient(http, base, key, name, client, deadline)));
            }
            heapMiddle = pool.submit(() -> {
                Thread.sleep(length.dividedBy(2));
                return HeapSample.of(http, base);
            });
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Tally all = new Tally();
        for (Future<Tally> f : clients) {
            Tally t = f.get();
            all.requests += t.requests;
            all.errors += t.errors;
            all.lastError = t.lastError != null ? t.lastError : all.lastError;
            all.firstToken.addAll(t.firstToken);
            all.interToken.addAll(t.interToken);
        }
        print(all, seconds, List.of(heapStart, heapMiddle.get(), HeapSample.of(http, base)));
        return all.errors == 0 ? 0 : 1;
    }

    /** Sends requests back to back until the deadline; a request under way when it passes still completes. */
    private Tally runClient(HttpClient http, String base, String key, String name, int client, long deadline) {
        Tally tally = new Tally();
        for (int n = 0; System.nanoTime() < deadline; n++) {
            String body = "{\"model\":" + JSON.valueToTree(name) + ",\"messages\":[{\"role\":\"user\",\"content\":\"client "
                    + client + " request " + n + "\"}],\"max_tokens\":" + maxTokens + ",\"temperature\":0,\"stream\":true}";
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
            if (key != null) {
                request.header("Authorization", "Bearer " + key);
            }
            tally.requests++;
            try {
                if (!stream(http, request.build(), tally)) {
                    tally.errors++;
                }
            } catch (Exception e) {
                tally.errors++;
                tally.lastError = e.toString();
            }
        }
        return tally;
    }

    /** Reads one event stream, timing each chunk that carries text; false when the server reported an error. */
    private static boolean stream(HttpClient http, HttpRequest request, Tally tally) throws Exception {
        long sent = System.nanoTime();
        HttpResponse<Stream<String>> response = http.send(request, HttpResponse.BodyHandlers.ofLines());
        if (response.statusCode() != 200) {
            tally.lastError = "HTTP " + response.statusCode() + ": " + String.join("\n", response.body().toList());
            return false;
        }
        long previous = -1;
        boolean done = false;
        try (Stream<String> lines = response.body()) {
            for (String line : (Iterable<String>) lines::iterator) {
                if (!line.startsWith("data: ")) {
                    continue;
                }
                long now = System.nanoTime();
                String data = line.substring(6);
                if (data.equals("[DONE]")) {
                    done = true;
                    continue;
                }
                JsonNode chunk = JSON.readTree(data);
                if (chunk.has("error")) {
                    tally.lastError = data;
                    return false;
                }
                JsonNode delta = chunk.path("choices").path(0).path("delta");
                if (delta.path("content").asText("").isEmpty() && delta.path("reasoning_content").asText("").isEmpty()) {
                    continue;
                }
                if (previous < 0) {
                    tally.firstToken.add(now - sent);
                } else {
                    tally.interToken.add(now - previous);
                }
                previous = now;
            }
        }
        if (!done) {
            tally.lastError = "the stream ended without [DONE]";
        }
        return done;
    }

    private static String get(HttpClient http, String uri, String key) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(uri));
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("GET " + uri + " answered " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }

    /**
     * The server's heap from {@code /metrics}: used now, used after its latest collection (-1 before the first)
     * and collections so far; NaN where the server does not expose them.
     */
    private record HeapSample(double used, double usedAfterGc, double collections) {
        static HeapSample of(HttpClient http, String base) {
            String metrics;
            try {
                metrics = get(http, base + "/metrics", null);
            } catch (Exception e) {
                return new HeapSample(Double.NaN, Double.NaN, Double.NaN);
            }
            return new HeapSample(metric(metrics, "conclave_heap_used_bytes"), metric(metrics, "conclave_heap_used_after_gc_bytes"),
                    metric(metrics, "conclave_gc_collections_total"));
        }

        private static double metric(String metrics, String name) {
            return metrics.lines().filter(l -> l.startsWith(name + " "))
                    .mapToDouble(l -> Double.parseDouble(l.substring(l.indexOf(' ') + 1))).findFirst().orElse(Double.NaN);
        }

        String mib(double bytes) {
            return bytes < 0 || Double.isNaN(bytes) ? "n/a" : "%.1f".formatted(bytes / (1 << 20));
        }
    }

    private void print(Tally all, double seconds, List<HeapSample> heap) {
        PrintWriter out = spec.commandLine().getOut();
        Percentiles ttft = Percentiles.of(all.firstToken.stream().mapToLong(Long::longValue).toArray());
        Percentiles itl = Percentiles.of(all.interToken.stream().mapToLong(Long::longValue).toArray());
        out.printf("concurrency %d, %.1f s%n", concurrency, seconds);
        out.printf("%-22s %12s%n", "requests", all.requests);
        out.printf("%-22s %12.1f%n", "requests/s", all.requests / seconds);
        out.printf("%-22s %12d%n", "errors", all.errors);
        out.printf("%-22s %12.1f%n", "tokens/s (streamed)", (all.firstToken.size() + all.interToken.size()) / seconds);
        out.printf("%-22s %10s %10s %10s%n", "latency (ms)", "p50", "p90", "p99");
        out.printf("%-22s %10.1f %10.1f %10.1f%n", "time to first token", ttft.p50(), ttft.p90(), ttft.p99());
        out.printf("%-22s %10.1f %10.1f %10.1f%n", "inter-token", itl.p50(), itl.p90(), itl.p99());
        out.printf("%-22s %10s %10s %10s%n", "server heap (MiB)", "used", "after GC", "GCs");
        List<String> when = List.of("start", "middle", "end");
        for (int i = 0; i < heap.size(); i++) {
            HeapSample h = heap.get(i);
            out.printf("%-22s %10s %10s %10.0f%n", "  " + when.get(i), h.mib(h.used()), h.mib(h.usedAfterGc()), h.collections());
        }
        if (all.lastError != null) {
            out.println("last error: " + all.lastError);
        }
        out.flush();
    }
}
