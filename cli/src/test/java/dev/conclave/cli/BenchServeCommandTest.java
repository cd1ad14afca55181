package dev.conclave.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** `conclave bench-serve` against a real `conclave serve`: every request counted, no errors, the heap sampled three times. */
class BenchServeCommandTest {

    @TempDir
    Path dir;

    @Test
    void reportsRequestsLatenciesAndTheHeapAtStartMiddleAndEnd() throws Exception {
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs("--model", ServableModel.create(dir).toString(), "--port", "0", "--grpc-port", "-1",
                "--threads", "2");
        CliRun run;
        long served;
        try (ServeCommand.Served server = serve.start()) {
            String url = "http://127.0.0.1:" + server.server().port();
            run = CliRun.of("bench-serve", "--url", url, "--concurrency", "4", "--duration", "2s", "--max-tokens", "4");
            served = Long.parseLong(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body().lines()
                    .filter(l -> l.startsWith("conclave_requests_total ")).findFirst().orElseThrow().split(" ")[1]);
        }
        assertEquals(0, run.exitCode(), run.out() + run.err());
        Matcher requests = Pattern.compile("(?m)^requests\\s+(\\d+)$").matcher(run.out());
        assertTrue(requests.find(), run.out());
        assertEquals(served, Long.parseLong(requests.group(1)), "the server counted other requests than the clients sent");
        assertTrue(Pattern.compile("(?m)^errors\\s+0$").matcher(run.out()).find(), run.out());
        for (String when : new String[] {"start", "middle", "end"}) {
            assertTrue(Pattern.compile("(?m)^  " + when + "\\s+\\d+\\.\\d\\s+(\\d+\\.\\d|n/a)\\s+\\d+$").matcher(run.out()).find(),
                    when + " heap row missing:\n" + run.out());
        }
    }
}
